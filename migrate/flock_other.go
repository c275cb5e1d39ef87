//go:build !unix

package migrate

import (
	"context"
	"fmt"
)

// flockFile is not available without flock: goose steps on a SQLite
// file need a Unix system.
func flockFile(context.Context, string) (func(), error) {
	return nil, fmt.Errorf("migrate: goose steps on a SQLite file need flock, which this system lacks")
}
