package model_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// releasedSQL pins the SHA-256 of every migration file of a released
// schema: a database created by that release has exactly what they say,
// so they are never edited; a change of schema is a new migration. Add a
// release's new files here when it is tagged.
var releasedSQL = map[string]string{
	"20261125000001_init.pg.up.sql":     "1d2f308760ac01e11e48dfac52fbd2c0829ed06f5ad95f6e9b26d378765f3d21",
	"20261125000001_init.sqlite.up.sql": "db553f015a10d4ae78c5ef8c3f6657e9233cd2fdffde2e69fb9a0b2f4a6f9827",
	"20261125000001_init.down.sql":      "2d2c16a47dc1d6d7e739dfc283604004788ddb3f1a1f10119cf4c222512c8a12",
}

func TestReleasedMigrationsAreUnchanged(t *testing.T) {
	for name, want := range releasedSQL {
		b, err := os.ReadFile(filepath.Join("sql", name))
		if err != nil {
			t.Errorf("released migration %s: %v", name, err)
			continue
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("released migration %s was edited (sha256 %s, want %s): add a new migration instead", name, got, want)
		}
	}
}
