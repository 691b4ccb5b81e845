// Package accountstest helps tests of packages that create accounts.
package accountstest

import "github.com/sillage-analytics/sillage/accounts/internal/hashcost"

// CheapPasswordHashing makes the password hashes of this process cheap:
// one pass over 64 KiB instead of two over 19 MiB. Under the race
// detector a hash at the production cost takes 100 to 400 ms, and a test
// that makes a few accounts spent most of its time there. Hashes record
// their parameters, so checking a password works the same; what the cost
// protects (a stolen hash) does not exist in a test. Call it from
// TestMain, before the tests run; package accounts' own tests keep the
// production cost and check it.
func CheapPasswordHashing() {
	hashcost.Set(hashcost.Params{Time: 1, Memory: 64, Threads: 1})
}
