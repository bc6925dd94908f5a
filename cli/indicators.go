package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/locale"
)

// runIndicators lists the catalogue or prints one indicator's definition
// sheet, in French then Dutch.
func runIndicators(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("indicators", stderr)
	configPath := fs.String("config", "", "configuration file")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) == 0 || (positional[0] == "list" && len(positional) != 1) ||
		(positional[0] == "describe" && len(positional) != 2) || (positional[0] != "list" && positional[0] != "describe") {
		return usageError{fmt.Errorf("bassins indicators list, or bassins indicators describe ID")}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	cat, err := cfg.Catalogue()
	if err != nil {
		return err
	}
	if positional[0] == "list" {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "id\ttheme\tkind\tperiods\tbreakdowns\tname (fr)\tnaam (nl)")
		for _, ind := range cat.Indicators {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ind.ID, ind.Theme, ind.Kind(), strings.Join(ind.Periods, ","),
				strings.Join(ind.Breakdowns, ","), ind.Name.FR, ind.Name.NL)
		}
		return tw.Flush()
	}
	ind, ok := cat.Lookup(positional[1])
	if !ok {
		return usageError{fmt.Errorf("no indicator %q in the catalogue (bassins indicators list)", positional[1])}
	}
	for i, lang := range []string{locale.French, locale.Dutch} {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		writeSheet(stdout, cat, ind, lang)
	}
	return nil
}

func writeSheet(w io.Writer, cat *catalogue.Catalogue, ind catalogue.Indicator, lang string) {
	l := locale.New(lang, nil)
	t := l.SheetLabel
	line := func(label, text string) { fmt.Fprintf(w, "  %s%s %s\n", label, l.Pick("\u00a0:", ":"), text) }
	fmt.Fprintf(w, "%s — %s\n", ind.ID, ind.Name.Text(lang))
	theme := ind.Theme
	if th, ok := cat.Theme(ind.Theme); ok {
		theme = th.Name.Text(lang)
	}
	line(t("theme"), theme)
	line(t("kind"), t("kind_"+ind.Kind()))
	line(t("definition"), ind.Definition.Text(lang))
	sep := l.Pick(" ; ", "; ")
	line(t("unit"), fmt.Sprintf("%s%s%s%s %d", ind.Unit.Text(lang), sep, t("decimals"), l.Pick("\u00a0:", ":"), ind.Decimals))
	n := ind.Numerator
	var num string
	switch n.Aggregate {
	case catalogue.Count:
		num = t("rows")
	case catalogue.New:
		num = fmt.Sprintf(t("new"), n.Field, n.LookbackMonths)
	default:
		num = t(n.Aggregate) + " " + n.Field
	}
	num += " " + t("of_dataset") + " « " + n.Dataset + " »"
	var filters []string
	for _, f := range n.Filters {
		v := f.Value
		if len(f.In) > 0 {
			v = "[" + strings.Join(f.In, ", ") + "]"
		}
		filters = append(filters, f.Field+" "+f.Op+" "+v)
	}
	if len(filters) > 0 {
		num += sep + t("filters") + l.Pick("\u00a0:", ":") + " " + strings.Join(filters, sep)
	} else {
		num += sep + t("none_filters")
	}
	line(t("numerator"), num)
	if d := ind.Denominator; d != nil {
		var den string
		if d.Indicator != "" {
			other, _ := cat.Lookup(d.Indicator)
			den = t("other_indic") + " " + d.Indicator + " (" + other.Name.Text(lang) + ")"
		} else if lo, hi, all := d.Ages(); all {
			den = t("population") + ", " + t("all_ages")
		} else {
			den = t("population") + " " + fmt.Sprintf(t("ages"), lo, hi)
		}
		line(t("denominator"), den+sep+t("factor")+" "+l.Number(ind.Factor, 0))
	}
	var periods []string
	for _, p := range ind.Periods {
		periods = append(periods, t(p))
	}
	line(t("periods"), strings.Join(periods, ", "))
	if len(ind.Breakdowns) > 0 {
		b := strings.Join(ind.Breakdowns, ", ")
		if !ind.HasTotal() {
			b += " (" + t("no_total") + ")"
		}
		line(t("breakdowns"), b)
	}
	switch ind.Kind() {
	case catalogue.KindRate:
		line(t("interval"), t("poisson"))
	case catalogue.KindShare:
		line(t("interval"), t("wilson"))
	default:
		line(t("interval"), t("none"))
	}
	if ind.HigherIsBetter {
		line(t("direction"), t("higher"))
	} else {
		line(t("direction"), t("neutral"))
	}
	if len(ind.PlanActions) > 0 {
		line(t("plan"), strings.Join(ind.PlanActions, ", "))
	}
	line(t("file"), fmt.Sprintf("%s:%d", ind.File, ind.Line))
}
