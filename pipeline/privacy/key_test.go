package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

// The keys stored are HMAC-SHA-256 of the scope, a zero byte and the
// identifier, cut to 16 bytes: they must never change, or the persons of
// earlier loads would become other persons.
func TestKeysAreTheHMACOfScopeAndIdentifier(t *testing.T) {
	secret := []byte("0123456789abcdef-secret-a")
	p, err := New(secret)
	if err != nil {
		t.Fatal(err)
	}
	want := func(input string) [16]byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(input))
		return [16]byte(m.Sum(nil))
	}
	for raw, normalised := range map[string]string{" lama-004512 ": "LAMA-004512", "Élodie-7": "ÉLODIE-7", "x": "X"} {
		if got := p.Sum("contacts", []byte(raw)); got != want("contacts\x00"+normalised) {
			t.Errorf("Sum(contacts, %q) = %x, want the HMAC of contacts, 0, %q", raw, got, normalised)
		}
	}
	if got := p.RecordKey("fedito", []byte(" id-7 ")); got != string(func() []byte { k := want("record\x00fedito\x00id-7"); return k[:] }()) {
		t.Errorf("RecordKey(fedito, id-7) = %x, want the HMAC of record, 0, fedito, 0, id-7", got)
	}
}
