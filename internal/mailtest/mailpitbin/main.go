// Command mailpitbin prints the path of the Mailpit binary the tests use,
// building it first if needed, for the browser tests (which are not Go).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/sillage-analytics/sillage/internal/mailtest"
)

func main() {
	p, err := mailtest.BuildBinary(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(p)
}
