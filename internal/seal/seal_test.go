package seal

import (
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	secret := []byte("a test secret of thirty-two bytes")
	b, err := New(secret, "purpose one")
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.Seal([]byte("refresh-token"), []byte("row 1"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Open(s, []byte("row 1")); err != nil || string(got) != "refresh-token" {
		t.Fatalf("open: %q %v", got, err)
	}
	other, _ := New([]byte("another secret of thirty-two b.."), "purpose one")
	purpose, _ := New(secret, "purpose two")
	for name, open := range map[string]func() ([]byte, error){
		"another row":     func() ([]byte, error) { return b.Open(s, []byte("row 2")) },
		"another secret":  func() ([]byte, error) { return other.Open(s, []byte("row 1")) },
		"another purpose": func() ([]byte, error) { return purpose.Open(s, []byte("row 1")) },
		"not sealed":      func() ([]byte, error) { return b.Open("refresh-token", []byte("row 1")) },
	} {
		if got, err := open(); !errors.Is(err, ErrNotOpened) {
			t.Errorf("%s: %q %v, want ErrNotOpened", name, got, err)
		}
	}
	if _, err := New([]byte("short"), "purpose one"); !errors.Is(err, ErrShortSecret) {
		t.Errorf("a short secret: %v", err)
	}
}
