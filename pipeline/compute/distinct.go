package compute

import (
	"context"
	"slices"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources"
)

// Distinct and new values are counted here from the visits the warehouse
// returns (each value met in a month and area, see warehouse.Visits):
//
//   - a value counts once in a period and geography where it has a visit
//     meeting the measure's filters, whatever its number of visits there,
//     for each period type, each level (the Region, its bassin, its
//     commune) and, at the Region and the bassins, each breakdown category;
//   - for aggregate New, it counts only in the periods where it is new:
//     the month before its first visit in the period (any visit, whatever
//     the filters and place) is more than LookbackMonths months before the
//     period's start;
//   - a stock's values are counted at each of its dates.
//
// Every key a value counts in is listed once per value (sorted, without
// repeats) before it is added: the values are integers, and a value is
// handled once however many visits it has.

// visit is one visit, its strings replaced by indices.
type visit struct {
	conds  uint64
	value  int32
	time   int32 // index in visitCounter.times
	place  int32 // index in visitCounter.places; -1: not located
	starts int32 // index of its categories in visitCounter.cats
}

// visitTime is a month (a stock: a date) met in the visits.
type visitTime struct {
	at    time.Time
	month int // months since year 0, for look-backs
	// periods[i] is the period slot of period type i of the query.
	periods []int32
}

type visitCounter struct {
	p      *plan
	g      *geography.Geography
	stock  bool
	types  []string // period types
	values map[string]int32
	// values of 16 bytes (pseudonyms), faster to look up as arrays
	values16 map[[16]byte]int32
	nValues  int
	times    []visitTime
	timeIdx  map[time.Time]int32
	slots    *interner[Cell] // period slots: PeriodType and Period set
	places   [][]int32       // each place's codes
	placeIdx map[string]int32
	codes    *interner[[2]string] // level, code
	// categories: the first is the total; others a breakdown and category
	catSlots *interner[catSlot]
	cats     []int32 // each visit's category slot per breakdown, flat
	visits   []visit
	// the last visit's month and area, and their indices
	lastMonth           time.Time
	lastArea            string
	lastTime, lastPlace int32
}

type catSlot struct{ breakdown, category string }

// interner numbers keys in the order they are first met.
type interner[K comparable] struct {
	keys []K
	idx  map[K]int32
}

func newInterner[K comparable]() *interner[K] { return &interner[K]{idx: map[K]int32{}} }

func (in *interner[K]) id(k K) int32 {
	i, ok := in.idx[k]
	if !ok {
		i = int32(len(in.keys))
		in.keys = append(in.keys, k)
		in.idx[k] = i
	}
	return i
}

func (c *Cells) gatherVisits(ctx context.Context, w *warehouse.Warehouse, g *geography.Geography, p *plan) error {
	d, _ := sources.LookupDataset(p.q.Dataset)
	vc := &visitCounter{p: p, g: g, stock: d.Stock, types: p.periods, values: map[string]int32{}, values16: map[[16]byte]int32{},
		timeIdx: map[time.Time]int32{}, slots: newInterner[Cell](), placeIdx: map[string]int32{},
		codes: newInterner[[2]string](), catSlots: newInterner[catSlot](),
		lastTime: -1, lastPlace: -2}
	vc.catSlots.id(catSlot{}) // 0: the total
	if vc.stock {
		vc.types = []string{warehouse.PeriodDate}
	}
	// The answer is read in one goroutine and kept in another.
	const batchSize = 4096
	batches := make(chan []warehouse.Visit, 8)
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		for b := range batches {
			for i := range b {
				vc.add(&b[i])
			}
		}
	}()
	batch := make([]warehouse.Visit, 0, batchSize)
	err := w.Visits(ctx, p.q, func(v *warehouse.Visit) {
		batch = append(batch, *v)
		if len(v.Categories) > 0 {
			batch[len(batch)-1].Categories = slices.Clone(v.Categories)
		}
		if len(batch) == batchSize {
			batches <- batch
			batch = make([]warehouse.Visit, 0, batchSize)
		}
	})
	batches <- batch
	close(batches)
	<-kept
	if err != nil {
		return err
	}
	vc.count(c)
	if vc.stock {
		// c is the query's own part: Cells.merge joins the dates of all.
		dates := make([]time.Time, len(vc.times))
		for i, t := range vc.times {
			dates[i] = t.at
		}
		slices.SortFunc(dates, func(a, b time.Time) int { return a.Compare(b) })
		c.Dates[p.q.Dataset] = dates
	}
	return nil
}

// add keeps one visit, its strings replaced by indices.
func (vc *visitCounter) add(v *warehouse.Visit) {
	var id int32
	if len(v.Value) == 16 {
		var k [16]byte
		copy(k[:], v.Value)
		i, ok := vc.values16[k]
		if !ok {
			i = int32(vc.nValues)
			vc.nValues++
			vc.values16[k] = i
		}
		id = i
	} else {
		i, ok := vc.values[v.Value]
		if !ok {
			i = int32(vc.nValues)
			vc.nValues++
			vc.values[v.Value] = i
		}
		id = i
	}
	// The answer comes month by month and area by area.
	if !v.Month.Equal(vc.lastMonth) || vc.lastTime < 0 {
		vc.lastMonth, vc.lastTime = v.Month, vc.timeOf(v.Month)
	}
	if v.Area != vc.lastArea || vc.lastPlace == -2 {
		vc.lastArea, vc.lastPlace = v.Area, vc.placeOf(v.Area)
	}
	vc.visits = append(vc.visits, visit{value: id, time: vc.lastTime, place: vc.lastPlace,
		conds: v.Conds, starts: int32(len(vc.cats))})
	for i, cat := range v.Categories {
		vc.cats = append(vc.cats, vc.catSlots.id(catSlot{vc.p.q.Breakdowns[i], cat}))
	}
}

func (vc *visitCounter) timeOf(t time.Time) int32 {
	if i, ok := vc.timeIdx[t]; ok {
		return i
	}
	vt := visitTime{at: t, month: t.Year()*12 + int(t.Month()) - 1}
	for _, pt := range vc.types {
		start := t
		if pt != warehouse.PeriodDate {
			start = periodStart(pt, t)
		}
		vt.periods = append(vt.periods, vc.slots.id(Cell{PeriodType: pt, Period: start}))
	}
	i := int32(len(vc.times))
	vc.times = append(vc.times, vt)
	vc.timeIdx[t] = i
	return i
}

func (vc *visitCounter) placeOf(area string) int32 {
	if area == "" {
		return -1
	}
	if i, ok := vc.placeIdx[area]; ok {
		return i
	}
	var codes []int32
	for _, pl := range places(vc.g, area) {
		codes = append(codes, vc.codes.id(pl))
	}
	i := int32(len(vc.places))
	vc.places = append(vc.places, codes)
	vc.placeIdx[area] = i
	return i
}

// periodStart returns the first month of the period of type pt holding t.
func periodStart(pt string, t time.Time) time.Time {
	for _, p := range periodsOf(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)) {
		if p.ptype == pt {
			return p.start
		}
	}
	return t
}

// count counts the visits into the cells.
func (vc *visitCounter) count(c *Cells) {
	if len(vc.visits) == 0 {
		return
	}
	measures := vc.p.q.Measures
	nb := len(vc.p.q.Breakdowns)
	nCats, nSlots, nCodes := len(vc.catSlots.keys), len(vc.slots.keys), len(vc.codes.keys)
	size := len(measures) * nCats * nSlots * nCodes
	var dense, seen []int32
	sparse := map[int]int32{}
	if size <= 1<<24 {
		dense, seen = make([]int32, size), make([]int32, size)
	}
	key := func(m, cat, slot, code int) int { return ((m*nCats+cat)*nSlots+slot)*nCodes + code }
	// Each value's visits, together.
	byValue := make([]int32, vc.nValues+1)
	for _, v := range vc.visits {
		byValue[v.value+1]++
	}
	for i := 1; i < len(byValue); i++ {
		byValue[i] += byValue[i-1]
	}
	order := make([]int32, len(vc.visits))
	next := slices.Clone(byValue)
	for i, v := range vc.visits {
		order[next[v.value]] = int32(i)
		next[v.value]++
	}
	// The look-backs of the New measures.
	var lookbacks []int
	for _, m := range measures {
		if m.Aggregate == catalogue.New && !slices.Contains(lookbacks, m.LookbackMonths) {
			lookbacks = append(lookbacks, m.LookbackMonths)
		}
	}
	var keys []int
	var months []int32                          // a value's times, by month, one per month
	newSlots := make([][]int32, len(lookbacks)) // per look-back: the slots where the value is new
	for value := range vc.nValues {
		mine := order[byValue[value]:byValue[value+1]]
		if len(lookbacks) > 0 {
			months = months[:0]
			for _, i := range mine {
				months = append(months, vc.visits[i].time)
			}
			month := func(t int32) int { return vc.times[t].month }
			slices.SortFunc(months, func(a, b int32) int { return month(a) - month(b) })
			months = slices.CompactFunc(months, func(a, b int32) bool { return month(a) == month(b) })
			for li, lb := range lookbacks {
				newSlots[li] = vc.newSlots(newSlots[li][:0], months, lb)
			}
		}
		keys = keys[:0]
		for _, i := range mine {
			v := vc.visits[i]
			if v.place < 0 {
				continue
			}
			t := vc.times[v.time]
			for mi, m := range measures {
				if v.conds&(1<<uint(mi)) == 0 {
					continue
				}
				for ti := range vc.types {
					slot := t.periods[ti]
					if m.Aggregate == catalogue.New && !slices.Contains(newSlots[slices.Index(lookbacks, m.LookbackMonths)], slot) {
						continue
					}
					for _, code := range vc.places[v.place] {
						if !vc.p.skipTotals {
							keys = append(keys, key(mi, 0, int(slot), int(code)))
						}
						if nb == 0 || !publishedWithCategories(vc.codes.keys[code][0]) {
							continue
						}
						for b := range nb {
							keys = append(keys, key(mi, int(vc.cats[int(v.starts)+b]), int(slot), int(code)))
						}
					}
				}
			}
		}
		if dense != nil {
			// seen[k] holds the last value counted in k, plus one.
			for _, k := range keys {
				if seen[k] != int32(value)+1 {
					seen[k] = int32(value) + 1
					dense[k]++
				}
			}
			continue
		}
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			sparse[k]++
		}
	}
	emit := func(k int, n int32) {
		code := k % nCodes
		k /= nCodes
		slot := k % nSlots
		k /= nSlots
		cat := k % nCats
		m := k / nCats
		s, cs, pl := vc.slots.keys[slot], vc.catSlots.keys[cat], vc.codes.keys[code]
		c.Values[Cell{vc.p.keys[m], cs.breakdown, cs.category, s.PeriodType, s.Period, pl[0], pl[1]}] += float64(n)
	}
	for k, n := range dense {
		if n > 0 {
			emit(k, n)
		}
	}
	for k, n := range sparse {
		emit(k, n)
	}
}

// newSlots appends the period slots in which a value whose times (sorted
// by month, one per month) are given is new for a look-back: those where
// the month before its first month in the period is more than lookback
// months before the period's start.
func (vc *visitCounter) newSlots(out []int32, times []int32, lookback int) []int32 {
	for ti, pt := range vc.types {
		for j, t := range times {
			m := vc.times[t].month
			start := m
			switch pt {
			case catalogue.Quarter:
				start = m - m%3
			case catalogue.Year:
				start = m - m%12
			}
			prev := -1 << 30
			if j > 0 {
				prev = vc.times[times[j-1]].month
			}
			if prev < start-lookback {
				out = append(out, vc.times[t].periods[ti])
			}
		}
	}
	return out
}
