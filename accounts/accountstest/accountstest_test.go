package accountstest_test

import (
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/accounts/accountstest"
)

// Cheap hashes record their cost, and both cheap hashes and hashes made at
// the production cost before still check.
func TestCheapPasswordHashing(t *testing.T) {
	prod, err := accounts.HashPassword("pâtisserie du coin")
	if err != nil {
		t.Fatal(err)
	}
	accountstest.CheapPasswordHashing()
	cheap, err := accounts.HashPassword("pâtisserie du coin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ hash, prefix string }{
		{prod, "$argon2id$v=19$m=19456,t=2,p=1$"},
		{cheap, "$argon2id$v=19$m=64,t=1,p=1$"},
	} {
		if !strings.HasPrefix(tt.hash, tt.prefix) {
			t.Errorf("hash %s does not start with %s", tt.hash, tt.prefix)
		}
		if !accounts.CheckPassword(tt.hash, "pâtisserie du coin") || accounts.CheckPassword(tt.hash, "patisserie du coin") {
			t.Errorf("hash %s: check is wrong", tt.hash)
		}
	}
}
