package secrets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateKeyCreatesThenReuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secrets.key")

	first, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey (create): %v", err)
	}
	if len(first) != KeySize {
		t.Fatalf("key is %d bytes, want %d", len(first), KeySize)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}

	second, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey (reuse): %v", err)
	}
	if !bytes.Equal(first, second) {
		t.Error("second LoadOrCreateKey returned a different key, want the stored one")
	}
}

func TestLoadOrCreateKeyRejectsReadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.key")
	if _, err := LoadOrCreateKey(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := LoadOrCreateKey(path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("LoadOrCreateKey of a 0644 file error = %v, want one that says to chmod 600", err)
	}
}

func TestLoadOrCreateKeyRejectsDamagedFile(t *testing.T) {
	cases := map[string]string{
		"not base64": "###",
		"too short":  "c2hvcnQ=",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.key")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}

			if _, err := LoadOrCreateKey(path); err == nil {
				t.Errorf("LoadOrCreateKey of %q succeeded, want an error", content)
			}
		})
	}
}
