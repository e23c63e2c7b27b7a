package manifest

import (
	"crypto/sha256"
	"strconv"
)

func itoa(n int) string { return strconv.Itoa(n) }

func sha256Sum(data []byte) [sha256.Size]byte { return sha256.Sum256(data) }

func strconvQuote(b []byte) string { return strconv.Quote(string(b)) }
