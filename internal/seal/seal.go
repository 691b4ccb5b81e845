// Package seal keeps secrets in the store unreadable to whoever reads the
// store alone: AES-256-GCM under a key derived (HKDF-SHA256) from the
// server's --secret and a purpose, so each use has its own key. A sealed
// value is base64 (raw, standard alphabet) of the nonce and the ciphertext.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrShortSecret is a secret too short to derive a key from.
var ErrShortSecret = errors.New("a secret of at least 16 bytes is required")

// ErrNotOpened is a value that is not sealed, or sealed with another
// secret, purpose or associated data.
var ErrNotOpened = errors.New("sealed with another secret (is --secret the same on every process?)")

// Box seals and opens the values of one purpose.
type Box struct{ aead cipher.AEAD }

// New derives the key of purpose from secret.
func New(secret []byte, purpose string) (Box, error) {
	if len(secret) < 16 {
		return Box{}, ErrShortSecret
	}
	key, err := hkdf.Key(sha256.New, secret, nil, purpose, 32)
	if err != nil {
		return Box{}, fmt.Errorf("derive the key of %q: %w", purpose, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return Box{}, fmt.Errorf("derive the key of %q: %w", purpose, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Box{}, fmt.Errorf("derive the key of %q: %w", purpose, err)
	}
	return Box{aead}, nil
}

// Seal encrypts plain; ad (associated data, may be nil) must be given
// again to open it, so a value copied elsewhere does not open.
func (b Box) Seal(plain, ad []byte) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return base64.RawStdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, plain, ad)), nil
}

// Open decrypts what Seal made with the same ad.
func (b Box) Open(sealed string, ad []byte) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	n := b.aead.NonceSize()
	if err != nil || len(raw) < n {
		return nil, ErrNotOpened
	}
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], ad)
	if err != nil {
		return nil, ErrNotOpened
	}
	return plain, nil
}
