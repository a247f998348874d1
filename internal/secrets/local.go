// Package secrets stores seller refresh tokens outside PostgreSQL.
//
// Local is the development store: one JSON file encrypted with AES-256-GCM.
// It is for a developer's machine and for tests only. It has no access
// control beyond file permissions, no audit log and no key rotation.
// Production deployments keep refresh tokens in Vault KV v2 instead.
package secrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// ErrNotFound is returned, wrapped, when no refresh token is stored for a
// seller.
var ErrNotFound = errors.New("secret not found")

// KeySize is the length in bytes of a Local store's AES-256 key.
const KeySize = 32

// formatVersion is written into every file so that a later format can be
// distinguished.
const formatVersion = 1

// additionalData binds each ciphertext to this file format, so a blob
// encrypted with the same key for another purpose does not decrypt here.
var additionalData = []byte("noterp local secrets v1")

// envelope is the file's JSON form.
type envelope struct {
	Version    int    `json:"version"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// contents is the decrypted form of the file.
type contents struct {
	// RefreshTokens maps an Amazon seller id to that seller's LWA refresh
	// token.
	RefreshTokens map[string]string `json:"refreshTokens"`
}

// Local is an AES-256-GCM encrypted JSON file of seller refresh tokens for
// local development. Its methods are safe for concurrent use within one
// process. Every call reads the file again, so a token written by one
// process is seen by another.
//
// NOTE: two processes that write at the same moment can lose one of the
// writes, because the file is replaced whole and not locked. The dev stack
// writes from one process only.
type Local struct {
	path string
	aead cipher.AEAD
	mu   sync.Mutex
}

// OpenLocal returns a store over the file at path, encrypted with key, which
// must be KeySize bytes. The file is created at the first write. If it
// exists, OpenLocal decrypts it once, so that a wrong key fails here and not
// at the first token read.
func OpenLocal(path string, key []byte) (*Local, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("open secret store %s: key is %d bytes, want %d", path, len(key), KeySize)
	}

	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("open secret store %s: %w", path, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("open secret store %s: %w", path, err)
	}

	s := &Local{path: path, aead: aead}
	if _, err := s.read(); err != nil {
		return nil, err
	}
	return s, nil
}

// RefreshToken returns the refresh token stored for sellerID. It returns an
// error wrapping ErrNotFound when there is none.
func (s *Local) RefreshToken(ctx context.Context, sellerID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	c, err := s.read()
	if err != nil {
		return "", err
	}
	token, ok := c.RefreshTokens[sellerID]
	if !ok {
		return "", fmt.Errorf("refresh token of seller %q: %w: authorize the seller again to store one", sellerID, ErrNotFound)
	}
	return token, nil
}

// PutRefreshToken stores token as sellerID's refresh token, replacing any
// earlier one.
func (s *Local) PutRefreshToken(ctx context.Context, sellerID, token string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if sellerID == "" {
		return errors.New("store refresh token: seller id is empty")
	}
	if token == "" {
		return fmt.Errorf("store refresh token of seller %q: token is empty", sellerID)
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	c, err := s.read()
	if err != nil {
		return err
	}
	c.RefreshTokens[sellerID] = token
	return s.write(c)
}

// DeleteRefreshToken removes sellerID's refresh token. Deleting a token that
// is not stored is not an error.
func (s *Local) DeleteRefreshToken(ctx context.Context, sellerID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	c, err := s.read()
	if err != nil {
		return err
	}
	if _, ok := c.RefreshTokens[sellerID]; !ok {
		return nil
	}
	delete(c.RefreshTokens, sellerID)
	return s.write(c)
}

// read decrypts the file. A missing file is an empty store.
func (s *Local) read() (contents, error) {
	empty := contents{RefreshTokens: map[string]string{}}

	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return contents{}, fmt.Errorf("read secret store %s: %w", s.path, err)
	}

	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return contents{}, fmt.Errorf("read secret store %s: the file is not a secret store: %w", s.path, err)
	}
	if env.Version != formatVersion {
		return contents{}, fmt.Errorf("read secret store %s: format version %d is not supported, want %d", s.path, env.Version, formatVersion)
	}
	if len(env.Nonce) != s.aead.NonceSize() {
		return contents{}, fmt.Errorf("read secret store %s: nonce is %d bytes, want %d: the file is damaged", s.path, len(env.Nonce), s.aead.NonceSize())
	}

	// GCM authenticates the ciphertext, so a changed byte and a wrong key
	// fail the same way and cannot be distinguished.
	plaintext, err := s.aead.Open(nil, env.Nonce, env.Ciphertext, additionalData)
	if err != nil {
		return contents{}, fmt.Errorf("read secret store %s: decryption failed: the key is wrong or the file was modified", s.path)
	}

	c := empty
	if err := json.Unmarshal(plaintext, &c); err != nil {
		return contents{}, fmt.Errorf("read secret store %s: decrypted contents are not valid: %w", s.path, err)
	}
	if c.RefreshTokens == nil {
		c.RefreshTokens = map[string]string{}
	}
	return c, nil
}

// write encrypts c with a fresh nonce and replaces the file atomically, so a
// reader never sees half a file.
func (s *Local) write(c contents) error {
	plaintext, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("write secret store %s: %w", s.path, err)
	}

	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("write secret store %s: nonce: %w", s.path, err)
	}
	data, err := json.Marshal(envelope{
		Version:    formatVersion,
		Nonce:      nonce,
		Ciphertext: s.aead.Seal(nil, nonce, plaintext, additionalData),
	})
	if err != nil {
		return fmt.Errorf("write secret store %s: %w", s.path, err)
	}

	return writeFileAtomic(s.path, data)
}

// writeFileAtomic writes data to a temporary file with mode 0600 beside path
// and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}

	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())

	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
