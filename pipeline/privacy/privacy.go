// Package privacy pseudonymises person keys at ingest. Raw identifiers never
// reach the warehouse: what is stored is a keyed hash (HMAC-SHA-256) whose
// secret stays outside the data.
package privacy

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"
)

// Pseudonymiser turns raw person identifiers into stable keys.
type Pseudonymiser struct {
	secret []byte
	macs   sync.Pool // of *keyedHash: keying costs more than hashing
}

// keyedHash is an HMAC keyed with the secret, and buffers for its input and
// output.
type keyedHash struct {
	mac   hash.Hash
	input []byte
	sum   [sha256.Size]byte
}

// MinSecretLength is the shortest secret accepted, in bytes.
const MinSecretLength = 16

// New returns a pseudonymiser keyed with secret.
func New(secret []byte) (*Pseudonymiser, error) {
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("privacy: the pseudonymisation secret must be at least %d bytes", MinSecretLength)
	}
	p := &Pseudonymiser{secret: append([]byte(nil), secret...)}
	p.macs.New = func() any { return &keyedHash{mac: hmac.New(sha256.New, p.secret)} }
	return p, nil
}

// Key returns the pseudonymous key of a raw identifier within a dataset, in
// hexadecimal: the same person gets the same key in every delivery of the
// dataset. Identifiers are compared without surrounding spaces and case.
func (p *Pseudonymiser) Key(dataset, raw string) string {
	k := p.Sum(dataset, []byte(raw))
	return hex.EncodeToString(k[:])
}

// Sum returns the 16-byte pseudonymous key of a raw identifier within a
// dataset, as stored.
func (p *Pseudonymiser) Sum(dataset string, raw []byte) [16]byte {
	return p.sum(dataset, bytes.TrimSpace(raw), true)
}

// RecordKey returns the 16-byte key stored for a source's record id: ids
// are compared as delivered (without surrounding spaces), within their
// source, and never stored in clear.
func (p *Pseudonymiser) RecordKey(source string, id []byte) string {
	k := p.sum("record\x00"+source, bytes.TrimSpace(id), false)
	return string(k[:])
}

// sum returns the keyed hash of scope, a zero byte and raw (upper-cased
// when upper).
func (p *Pseudonymiser) sum(scope string, raw []byte, upper bool) [16]byte {
	k := p.macs.Get().(*keyedHash)
	defer p.macs.Put(k)
	in := append(append(k.input[:0], scope...), 0)
	if upper {
		in = appendUpper(in, raw)
	} else {
		in = append(in, raw...)
	}
	k.input = in
	k.mac.Reset()
	k.mac.Write(in)
	var out [16]byte
	copy(out[:], k.mac.Sum(k.sum[:0]))
	return out
}

// appendUpper appends raw upper-cased, as bytes.ToUpper does.
func appendUpper(b, raw []byte) []byte {
	for _, c := range raw {
		if c >= utf8.RuneSelf {
			return append(b, bytes.ToUpper(raw)...)
		}
	}
	for _, c := range raw {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// LoadSecret reads the secret from the environment variable env when set,
// otherwise from file; a missing file is created with a random secret
// (readable by its owner only).
func LoadSecret(env, file string) ([]byte, error) {
	if env != "" {
		if v, ok := os.LookupEnv(env); ok && v != "" {
			if len(v) < MinSecretLength {
				return nil, fmt.Errorf("privacy: the pseudonymisation key in %s is %d bytes long, it must be at least %d: set the key you saved, or unset %s to use privacy.key_file",
					env, len(v), MinSecretLength, env)
			}
			return []byte(v), nil
		}
	}
	if file == "" {
		return nil, fmt.Errorf("privacy: no pseudonymisation key: set %s or configure privacy.key_file", env)
	}
	data, err := os.ReadFile(file)
	if err == nil {
		secret := []byte(strings.TrimSpace(string(data)))
		if len(secret) < MinSecretLength {
			return nil, fmt.Errorf("privacy: the pseudonymisation key file %s holds %d bytes, it must hold at least %d: restore the key you saved (a new key would no longer link new deliveries to the persons already stored)",
				file, len(secret), MinSecretLength)
		}
		return secret, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("privacy: cannot read the pseudonymisation key file: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	secret := []byte(hex.EncodeToString(raw))
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process created it first
		return LoadSecret("", file)
	}
	if err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	if _, err := f.Write(append(secret, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("privacy: %w", err)
	}
	return secret, f.Close()
}
