package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	sellerA = "A1EXAMPLESELLER"
	sellerB = "A2OTHERSELLER"
	tokenA  = "Atzr|IwEBIexample-refresh-token-seller-a"
)

func testKey(fill byte) []byte {
	return bytes.Repeat([]byte{fill}, KeySize)
}

func openTestStore(t *testing.T, path string, key []byte) *Local {
	t.Helper()
	s, err := OpenLocal(path, key)
	if err != nil {
		t.Fatalf("OpenLocal(%s): %v", path, err)
	}
	return s
}

func TestLocalStoresRefreshToken(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "secrets.json")
	s := openTestStore(t, path, testKey(1))

	if err := s.PutRefreshToken(ctx, sellerA, tokenA); err != nil {
		t.Fatalf("PutRefreshToken: %v", err)
	}

	got, err := s.RefreshToken(ctx, sellerA)
	if err != nil {
		t.Fatalf("RefreshToken: %v", err)
	}
	if got != tokenA {
		t.Errorf("RefreshToken = %q, want %q", got, tokenA)
	}
}

func TestLocalTokenSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := openTestStore(t, path, testKey(1)).PutRefreshToken(ctx, sellerA, tokenA); err != nil {
		t.Fatalf("PutRefreshToken: %v", err)
	}

	got, err := openTestStore(t, path, testKey(1)).RefreshToken(ctx, sellerA)
	if err != nil {
		t.Fatalf("RefreshToken after reopen: %v", err)
	}
	if got != tokenA {
		t.Errorf("RefreshToken after reopen = %q, want %q", got, tokenA)
	}
}

func TestLocalMissingSellerIsNotFound(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "secrets.json"), testKey(1))
	if err := s.PutRefreshToken(ctx, sellerA, tokenA); err != nil {
		t.Fatalf("PutRefreshToken: %v", err)
	}

	_, err := s.RefreshToken(ctx, sellerB)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("RefreshToken(%s) error = %v, want ErrNotFound", sellerB, err)
	}
	if !strings.Contains(err.Error(), sellerB) {
		t.Errorf("error %q does not name seller %s", err, sellerB)
	}
}

func TestLocalEmptyStoreIsNotFound(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "secrets.json"), testKey(1))

	_, err := s.RefreshToken(context.Background(), sellerA)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("RefreshToken on a new store error = %v, want ErrNotFound", err)
	}
}

func TestLocalDeleteRefreshToken(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "secrets.json"), testKey(1))
	for _, seller := range []string{sellerA, sellerB} {
		if err := s.PutRefreshToken(ctx, seller, "token-of-"+seller); err != nil {
			t.Fatalf("PutRefreshToken(%s): %v", seller, err)
		}
	}

	if err := s.DeleteRefreshToken(ctx, sellerA); err != nil {
		t.Fatalf("DeleteRefreshToken: %v", err)
	}

	if _, err := s.RefreshToken(ctx, sellerA); !errors.Is(err, ErrNotFound) {
		t.Errorf("RefreshToken of deleted seller error = %v, want ErrNotFound", err)
	}
	if got, err := s.RefreshToken(ctx, sellerB); err != nil || got != "token-of-"+sellerB {
		t.Errorf("RefreshToken(%s) = %q, %v; want the other seller's token kept", sellerB, got, err)
	}
	if err := s.DeleteRefreshToken(ctx, sellerA); err != nil {
		t.Errorf("DeleteRefreshToken twice: %v, want nil", err)
	}
}

func TestLocalWrongKeyFailsAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := openTestStore(t, path, testKey(1)).PutRefreshToken(context.Background(), sellerA, tokenA); err != nil {
		t.Fatalf("PutRefreshToken: %v", err)
	}

	_, err := OpenLocal(path, testKey(2))
	if err == nil {
		t.Fatal("OpenLocal with the wrong key succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "key is wrong") {
		t.Errorf("error %q does not say the key may be wrong", err)
	}
}

func TestLocalDetectsTampering(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "secrets.json")
	s := openTestStore(t, path, testKey(1))
	if err := s.PutRefreshToken(ctx, sellerA, tokenA); err != nil {
		t.Fatalf("PutRefreshToken: %v", err)
	}

	var env envelope
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	env.Ciphertext[len(env.Ciphertext)/2] ^= 0x01
	tampered, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, tampered, 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := s.RefreshToken(ctx, sellerA); err == nil || !strings.Contains(err.Error(), "modified") {
		t.Errorf("RefreshToken after a flipped bit error = %v, want a decryption failure", err)
	}
	if _, err := OpenLocal(path, testKey(1)); err == nil {
		t.Error("OpenLocal of a tampered file succeeded, want an error")
	}
	if err := s.PutRefreshToken(ctx, sellerB, "other"); err == nil {
		t.Error("PutRefreshToken over a tampered file succeeded, want an error so the tokens in it are not silently dropped")
	}
}

func TestLocalFileHidesTokenAndIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := openTestStore(t, path, testKey(1)).PutRefreshToken(context.Background(), sellerA, tokenA); err != nil {
		t.Fatalf("PutRefreshToken: %v", err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(tokenA)) || bytes.Contains(data, []byte(sellerA)) {
		t.Error("the file contains the token or the seller id in plain text")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode = %04o, want 0600", perm)
	}
}

func TestLocalRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	if _, err := OpenLocal(filepath.Join(dir, "secrets.json"), []byte("short")); err == nil {
		t.Error("OpenLocal with a 5-byte key succeeded, want an error")
	}

	garbage := filepath.Join(dir, "garbage.json")
	if err := os.WriteFile(garbage, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLocal(garbage, testKey(1)); err == nil {
		t.Error("OpenLocal of a file that is not a store succeeded, want an error")
	}

	s := openTestStore(t, filepath.Join(dir, "secrets.json"), testKey(1))
	if err := s.PutRefreshToken(ctx, "", tokenA); err == nil {
		t.Error("PutRefreshToken with an empty seller id succeeded, want an error")
	}
	if err := s.PutRefreshToken(ctx, sellerA, ""); err == nil {
		t.Error("PutRefreshToken with an empty token succeeded, want an error")
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.RefreshToken(canceled, sellerA); !errors.Is(err, context.Canceled) {
		t.Errorf("RefreshToken with a canceled context error = %v, want context.Canceled", err)
	}
}
