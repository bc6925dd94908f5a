package privacy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyIsStableKeyedAndHidesTheIdentifier(t *testing.T) {
	a, err := New([]byte("0123456789abcdef-secret-a"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New([]byte("0123456789abcdef-secret-b"))
	k := a.Key("contacts", "LAMA-004512")
	if k != a.Key("contacts", " lama-004512 ") {
		t.Errorf("the same person written differently must get the same key")
	}
	if k == b.Key("contacts", "LAMA-004512") {
		t.Errorf("another secret must give another key")
	}
	if k == a.Key("treatment_demands", "LAMA-004512") {
		t.Errorf("another dataset must give another key")
	}
	if strings.Contains(k, "4512") || len(k) != 32 {
		t.Errorf("key %q must be 32 hex characters revealing nothing of the identifier", k)
	}
}

func TestShortSecretRefused(t *testing.T) {
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("a 5-byte secret must be refused")
	}
}

func TestLoadSecretCreatesThenRereadsTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret", "pseudonym.key")
	first, err := LoadSecret("", file)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", info.Mode().Perm())
	}
	again, err := LoadSecret("", file)
	if err != nil || string(again) != string(first) {
		t.Fatalf("second read gave %q, %v; want the same secret", again, err)
	}
	t.Setenv("TEST_PSEUDONYM_KEY", "from-the-environment-1234")
	env, _ := LoadSecret("TEST_PSEUDONYM_KEY", file)
	if string(env) != "from-the-environment-1234" {
		t.Errorf("the environment variable must win over the file")
	}
}
