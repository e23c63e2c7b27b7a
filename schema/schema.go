// Package schema holds the JSON Schema of chart-promoter.yaml, the repository config file.
// The file beside this one is what editors fetch (through the yaml-language-server modeline
// the README shows) and what the config loader validates against, so both always agree.
package schema

import _ "embed"

// ConfigJSON is schema/chart-promoter.schema.json, a JSON Schema (draft-07).
//
//go:embed chart-promoter.schema.json
var ConfigJSON []byte

// ConfigURL is the schema's $id: the address to put in a yaml-language-server modeline.
const ConfigURL = "https://raw.githubusercontent.com/chart-promoter/chart-promoter/main/schema/chart-promoter.schema.json"
