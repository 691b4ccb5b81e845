package trackerjs

import (
	"bytes"
	"testing"
)

func TestScriptIsEmbedded(t *testing.T) {
	if len(Script) < 100 || !bytes.Contains(Script, []byte("/api/event")) {
		t.Fatalf("dist/script.js is not embedded as expected (%d bytes)", len(Script))
	}
}
