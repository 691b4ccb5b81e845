//go:build tools

// Package mailpit pins the Mailpit SMTP test server, kept out of the
// product's go.mod: internal/mailtest builds it from this module.
package mailpit

import _ "github.com/axllent/mailpit"
