package storetest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const exitOpenEnv = "SILLAGE_TEST_EXIT_ENGINE_OPEN"

// TestExitAfterWorkIsClean runs this test binary again on one test that
// migrates a database, as every package's tests do, exiting with the
// engine open, and wants status 0 each time. A build with the race detector exits through the C library's
// exit(), where the engine library's static destructors crashed about one
// exit in three ("PASS", then a segmentation fault) until the chdb package
// skipped them.
func TestExitAfterWorkIsClean(t *testing.T) {
	for i := range 10 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMigratedIsTheTemplate$", "-test.count=1")
		cmd.Env = append(os.Environ(), exitOpenEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("exit %d: the test binary ended with %v after its work:\n%s", i+1, err, out)
		}
		if !strings.HasSuffix(strings.TrimSpace(string(out)), "PASS") {
			t.Fatalf("exit %d: no PASS:\n%s", i+1, out)
		}
	}
}
