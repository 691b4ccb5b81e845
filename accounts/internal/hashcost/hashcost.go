// Package hashcost holds the argon2id parameters new password hashes are
// made with. It is internal so that only package accounts reads them and
// only package accountstest, for tests, lowers them.
package hashcost

import "sync/atomic"

// Params are argon2id's cost parameters.
type Params struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// Production is OWASP's second recommended set (19 MiB, 2 passes), about
// 25 ms on these 2-core machines, so a login costs little and a stolen
// hash costs a lot.
var Production = Params{Time: 2, Memory: 19 * 1024, Threads: 1}

var current atomic.Pointer[Params]

// Get returns the parameters in force: Production unless Set changed them.
func Get() Params {
	if p := current.Load(); p != nil {
		return *p
	}
	return Production
}

// Set changes the parameters of the hashes made from now on.
func Set(p Params) { current.Store(&p) }
