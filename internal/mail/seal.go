package mail

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// sealer keeps the bodies waiting in the outbox unreadable to whoever
// reads the store alone: a reset or invitation link in them opens an
// account, and the store keeps only hashes of such tokens elsewhere.
type sealer struct{ aead cipher.AEAD }

func newSealer(secret []byte) (sealer, error) {
	if len(secret) < 16 {
		return sealer{}, errors.New("mail outbox: a secret of at least 16 bytes is required to seal the bodies kept for retries")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "sillage mail outbox body", 32)
	if err != nil {
		return sealer{}, fmt.Errorf("mail outbox key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("mail outbox key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("mail outbox key: %w", err)
	}
	return sealer{aead}, nil
}

type body struct {
	Text        string `json:"t"`
	HTML        string `json:"h,omitempty"`
	Unsubscribe string `json:"u,omitempty"`
}

func (s sealer) sealMessage(m Message) (string, error) {
	plain, err := json.Marshal(body{m.Text, m.HTML, m.Unsubscribe})
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal mail body: %w", err)
	}
	return base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, nil)), nil
}

func (s sealer) openMessage(sealed string) (Message, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return Message{}, errors.New("open mail body: not a sealed body")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return Message{}, errors.New("open mail body: sealed with another secret (is --secret the same on every process?)")
	}
	var b body
	if err := json.Unmarshal(plain, &b); err != nil {
		return Message{}, fmt.Errorf("open mail body: %w", err)
	}
	return Message{Text: b.Text, HTML: b.HTML, Unsubscribe: b.Unsubscribe}, nil
}
