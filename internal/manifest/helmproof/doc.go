// Package helmproof holds no code: its tests prove, with Helm's own dependency manager
// (helm.sh/helm/v3/pkg/downloader) against a real registry, that the Chart.lock files
// package manifest computes and edits are exactly the ones Helm writes and accepts. They
// live apart from package manifest so that its tests and fuzz targets do not build Helm's
// downloader and the Kubernetes libraries it brings.
package helmproof
