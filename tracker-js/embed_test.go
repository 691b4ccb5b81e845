package trackerjs

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"testing"
)

func TestScriptIsEmbedded(t *testing.T) {
	if len(Script) < 100 || !bytes.Contains(Script, []byte("/api/event")) {
		t.Fatalf("dist/script.js is not embedded as expected (%d bytes)", len(Script))
	}
}

func TestVariants(t *testing.T) {
	vs, err := Variants()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Variant{}
	for _, v := range vs {
		byName[v.Name] = v
	}
	if v := byName["core.js"]; len(v.Features) != 0 || len(v.Code) < 100 {
		t.Fatalf("core.js: %+v", v.Features)
	}
	if v := byName["script.js"]; !bytes.Equal(v.Code, Script) || !v.Has(Features) {
		t.Fatalf("script.js is not every feature")
	}
	for _, f := range Features {
		if v, ok := byName["core+"+f+".js"]; !ok || !slices.Equal(v.Features, []string{f}) {
			t.Errorf("core+%s.js: missing or wrong features %v", f, v.Features)
		}
	}
}

// The Go list of features is src/features.js's.
func TestFeaturesAgreeWithSource(t *testing.T) {
	src, err := os.ReadFile("src/features.js")
	if err != nil {
		t.Fatal(err)
	}
	var js []string
	for _, m := range regexp.MustCompile(`(?m)^  (\w+): \{ flag:`).FindAllSubmatch(src, -1) {
		js = append(js, string(m[1]))
	}
	if !slices.Equal(js, Features) {
		t.Fatalf("src/features.js has %v, embed.go %v", js, Features)
	}
}
