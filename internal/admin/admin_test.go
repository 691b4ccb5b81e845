package admin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A data folder too deep for a socket inside it gets one in this user's
// private folder of the temp folder, never a shared, predictable path.
func TestDeepFolderSocket(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	deep := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	path := SocketPath(deep)
	if filepath.Dir(path) != tempSocketDir() {
		t.Fatalf("socket %s, want it in %s", path, tempSocketDir())
	}
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	st, err := os.Stat(tempSocketDir())
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("socket folder %v, %v: want mode 0700", st, err)
	}
	if _, err := Dial(path); err != nil {
		t.Fatalf("our own socket: %v", err)
	}

	// A socket others may connect to, where ours should be, is refused:
	// it is not the server's.
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(path); err == nil || errors.Is(err, ErrNoServer) {
		t.Fatalf("Dial on a socket open to everyone: %v, want a refusal", err)
	}
}

// A socket folder someone else made, or made open to others, stops the
// server instead of being used.
func TestSocketFolderOpenToOthers(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	if err := os.Mkdir(tempSocketDir(), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tempSocketDir(), 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	if _, err := Listen(filepath.Join(tempSocketDir(), "x.sock")); err == nil || !strings.Contains(err.Error(), "alone") {
		t.Fatalf("Listen in a folder open to everyone: %v, want a refusal", err)
	}
}

func TestNoServer(t *testing.T) {
	if _, err := Dial(filepath.Join(t.TempDir(), "admin.sock")); !errors.Is(err, ErrNoServer) {
		t.Fatalf("Dial without a server: %v, want ErrNoServer", err)
	}
}
