// Package sillage holds the domain types every part of Sillage shares: an
// event, a site, a user. It has no I/O and imports only the standard library;
// the collector turns requests into these types at its edge, the store
// writes and reads them, the query service reasons about them.
package sillage
