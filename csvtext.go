package sillage

import "strings"

// CSVText neutralises a cell that a spreadsheet would read as a formula
// (a leading =, +, -, @, tab or carriage return) with a leading
// apostrophe, as OWASP advises. Visitors choose campaign names and
// property values, and people type annotations: all of them reach
// spreadsheets through the CSV exports.
func CSVText(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
