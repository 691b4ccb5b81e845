//go:build !unix

package wal

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir only creates dir/LOCK here: Sillage runs on Linux, and this keeps
// the package building elsewhere for development.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open wal lock %s: %w", path, err)
	}
	return f, nil
}
