package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/privacy"
	"github.com/brusano/bassins/sources"
)

// runSources checks a file against a source's declaration without writing
// anything: bassins sources check NAME --file F [--rows N].
func runSources(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sources", stderr)
	configPath := fs.String("config", "", "configuration file")
	file := fs.String("file", "", "the file to read as the source would")
	show := fs.Int("rows", 5, "how many mapped rows to print")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 2 || positional[0] != "check" || *file == "" {
		return usageError{fmt.Errorf("bassins sources check NAME --file FILE [--rows N]")}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	var spec *sources.Spec
	var names []string
	for i := range cfg.Sources {
		names = append(names, cfg.Sources[i].Name)
		if cfg.Sources[i].Name == positional[1] {
			spec = &cfg.Sources[i]
		}
	}
	if spec == nil {
		return usageError{fmt.Errorf("no source %q in %s (sources: %s)", positional[1], cfg.File, strings.Join(names, ", "))}
	}
	if _, err := os.Stat(*file); err != nil {
		return usageError{err}
	}
	g, err := geography.Load(cfg.Geography)
	if err != nil {
		return err
	}
	// A throwaway secret: the dry run stores nothing, and the pseudonyms it
	// prints must not be those of the warehouse.
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	p, err := privacy.New(secret)
	if err != nil {
		return err
	}
	env := sources.Env{Pseudonymise: p.Sum, RecordKey: p.RecordKey, Locate: g.ResolveNIS, AreaKey: geography.AreaKey,
		RegionOnly: geography.RegionOnlyKey, LoadID: 1, Delivered: time.Now(), Location: cfg.Location()}

	rows := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	printed, shownRejected := 0, 0
	var rejected []sources.Rejected
	sum, err := sources.Read(ctx, spec, *file, env, 1000, sources.Sink{
		Rows: func(b *sources.Block) error {
			defer b.Done()
			if printed >= *show {
				return nil
			}
			if printed == 0 {
				fmt.Fprintf(stdout, "First rows as they would be stored (person keys pseudonymised with a throwaway key):\n")
				fmt.Fprintln(rows, strings.Join(b.Columns(), "\t"))
			}
			values := b.Values()
			for i := 0; i < b.Len() && printed < *show; i++ {
				cells := make([]string, len(values))
				for c, v := range values {
					cells[c] = cellText(reflect.ValueOf(v).Index(i).Interface())
				}
				fmt.Fprintln(rows, strings.Join(cells, "\t"))
				printed++
			}
			return nil
		},
		Reject: func(r sources.Rejected) error {
			if shownRejected < 100 {
				rejected = append(rejected, r)
				shownRejected++
			}
			return nil
		},
	})
	if err := rows.Flush(); err != nil {
		return err
	}
	if err != nil {
		return fmt.Errorf("the file cannot be loaded: %w", err)
	}
	if len(rejected) > 0 {
		fmt.Fprintf(stdout, "\nRows that would be quarantined:\n")
		for _, r := range rejected {
			for _, reason := range r.Reasons {
				fmt.Fprintf(stdout, "  line %d: %s (value %s)\n", r.Line, reason.Message(), printable(reason.Value))
			}
		}
		if sum.Quarantined > len(rejected) {
			fmt.Fprintf(stdout, "  … and %d more\n", sum.Quarantined-len(rejected))
		}
	}
	fmt.Fprintf(stdout, "\n%s: %d rows read, %d would load (%d table rows), %d quarantined; months: %s\n",
		*file, sum.Read, sum.Loaded, sum.Stored, sum.Quarantined, strings.Join(monthList(sum.Months), ", "))
	if sum.Read > 0 {
		share := float64(sum.Quarantined) / float64(sum.Read)
		if share > spec.RejectedShare() {
			fmt.Fprintf(stdout, "The whole delivery would be refused: %.1f %% of its rows are quarantined, above the %.1f %% source %s accepts (max_rejected_share).\n",
				100*share, 100*spec.RejectedShare(), spec.Name)
		}
	}
	if _, ok := spec.Fields[sources.RecordIDField]; ok {
		fmt.Fprintln(stdout, "Repeated record ids are checked when the file is loaded.")
	}
	return nil
}

func cellText(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.DateOnly)
	case []byte:
		return hex.EncodeToString(x)
	case *uint8:
		if x == nil {
			return "NULL"
		}
		return fmt.Sprint(*x)
	case []string:
		return strings.Join(x, "|")
	case string:
		if x != "" && strings.ContainsFunc(x, func(r rune) bool { return r < 0x20 || r == 0xFFFD }) {
			return hex.EncodeToString([]byte(x))
		}
		return x
	}
	return fmt.Sprint(v)
}
