package warehousetest

import (
	"encoding/hex"
	"testing"

	"github.com/brusano/bassins/pipeline/warehouse"
)

func TestOpenUsesAPasswordOfItsOwn(t *testing.T) {
	wh, srv := Open(t)
	if _, err := wh.ServerVersion(); err != nil {
		t.Fatalf("ServerVersion: %v", err)
	}
	pw := srv.Password()
	if b, err := hex.DecodeString(pw); err != nil || len(b) != 16 {
		t.Errorf("password %q: want 32 hex digits", pw)
	}
	_, other := Open(t)
	if other.Password() == pw {
		t.Error("two servers got the same password")
	}

	tests := []struct {
		name     string
		password string
	}{
		{name: "no password", password: ""},
		{name: "the other server's password", password: other.Password()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh server each time: bassins-chdb ends at the first
			// refused login.
			_, srv := Open(t)
			wh, err := warehouse.Open(t.Context(), warehouse.Options{Addr: srv.Addr(), Database: "bassins_test",
				User: srv.User(), Password: tt.password})
			if err == nil {
				wh.Close()
				t.Fatal("warehouse.Open succeeded")
			}
		})
	}
}
