package managed

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// passwordBytes is the number of random bytes of a new password, written as
// hex.
const passwordBytes = 32

// maxPasswordFile bounds what is read of a password file.
const maxPasswordFile = 4096

// LoadOrCreatePassword returns the password kept in the file at path,
// creating the file at first use with a new random password (32 random bytes,
// hex-encoded), mode 0600, in parent directories created 0700.
//
// The file must live outside DataDir (e.g. var/secret/clickhouse.password
// beside var/clickhouse): the data folder may be copied, archived or removed
// to start afresh, and the password must not go with it nor be lost with it,
// since a server still running there only accepts the password it started
// with.
//
// A file that other users may read or write (any group or other permission)
// or that holds only white space is refused: the server would be as open as
// the file. Surrounding white space (a final newline) is not part of the
// password.
func LoadOrCreatePassword(path string) (string, error) {
	if path == "" {
		return "", errors.New("managed: password file: no path given")
	}
	password, err := readPassword(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return password, err
	}
	if err := createPassword(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("managed: create password file %s: %w", path, err)
	}
	// Read back what is there: another process may have created the file
	// first.
	return readPassword(path)
}

// readPassword reads and checks the password file.
func readPassword(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("managed: password file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("managed: password file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("managed: password file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("managed: password file %s is open to other users (mode %04o): run `chmod 600 %s`",
			path, perm, path)
	}
	body, err := io.ReadAll(io.LimitReader(f, maxPasswordFile))
	if err != nil {
		return "", fmt.Errorf("managed: password file: %w", err)
	}
	password := strings.TrimSpace(string(body))
	if password == "" {
		return "", fmt.Errorf("managed: password file %s is empty: write a password in it, or remove it to have one created", path)
	}
	return password, nil
}

// createPassword writes a new random password to path, failing with
// fs.ErrExist if the file exists. The file appears whole or not at all.
func createPassword(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), privateDir); err != nil {
		return err
	}
	secret := make([]byte, passwordBytes)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600 already; say so for the reader.
	if err := tmp.Chmod(privateFile); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(hex.EncodeToString(secret) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link, unlike rename, fails if path exists.
	return os.Link(tmp.Name(), path)
}
