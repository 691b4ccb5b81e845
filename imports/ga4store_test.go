package imports

import "testing"

// A refresh token sealed by the previous release (before the sealing
// moved to internal/seal) still opens, in its row only: an OAuth import
// running at upgrade time resumes.
func TestPreviousReleaseSealedGA4TokenOpens(t *testing.T) {
	const sealed = "MDkm4uOw0GzFsvdgqnp72R2u9PkPRlM/vURBxOwzZ/qDmLq6qmMhk2M4oG4"
	m := &Manager{Secret: []byte("a test secret of thirty-two bytes")}
	if tok, err := m.openGA4(7, "conn-1", sealed); err != nil || tok != "1//refresh-token" {
		t.Fatalf("open: %q %v", tok, err)
	}
	if tok, err := m.openGA4(8, "conn-1", sealed); err == nil {
		t.Fatalf("opened in another site's row: %q", tok)
	}
}
