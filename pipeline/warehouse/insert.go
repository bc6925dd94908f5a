package warehouse

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/brusano/bassins/sources"
)

// Insert streams the blocks of a load into a canonical table over
// ClickHouse's native protocol: each block is written column by column
// straight from its buffers, without a Go value per row, its rows in the
// order of the table's key (see sortingKeys).
//
// The blocks go to a few INSERT statements in turn, each on its own
// connection, batchRows rows at a time. The server gathers the blocks of a
// batch and writes them as one part per partition it covers: few parts, so
// few merges after the load; and a batch of blocks sorted that follow one
// another in order (sources.Read ends its blocks between days) it writes
// without sorting it. While it writes one statement's batch, the next batch
// goes to another statement: the server writes a statement's batch in the
// thread that reads it, and would otherwise hold the reader back.
//
// It speaks the protocol itself with the encoders of ch-go's proto package:
// ch-go's own client leaves out the client information that servers before
// revision 54420 (ClickHouse 18.16 is 54412) expect with a query. The other
// statements go through clickhouse-go.
//
// An Insert is used by one goroutine at a time.
type Insert struct {
	ctx     context.Context
	opts    Options
	ids     *queryIDs
	table   string
	columns []string
	cols    []insertColumn
	input   proto.Input
	stmts   []*statement
	cur     int // the statement taking blocks
	batched int // rows the current statement took in its batch
	err     error
	// order sorts the rows of each block by the table's key; ordered says
	// it was made (at the first block, from its kinds of columns).
	order   *rowOrder
	ordered bool
	// distributed says the table is a Distributed table: the insert
	// returns once every shard has stored its rows.
	distributed bool
}

// How the blocks of a load are spread over statements: batchRows is a
// variable for the tests.
const insertStatements = 2

var batchRows = 1 << 17

// statement is one INSERT statement on its own connection.
type statement struct {
	table   string
	conn    net.Conn
	version int // the protocol revision both sides speak
	w       *proto.Writer
	r       *proto.Reader
	// done receives the outcome of the statement once the server ends it
	// (nil) or refuses it; the reading goroutine sends it.
	done    chan error
	outcome error
	ended   bool
	stop    func() bool // stops closing the connection when ctx ends
	once    sync.Once
}

// Client identification and protocol constants.
const (
	clientName = "bassins"
	// revisionClientInfo is the first revision whose queries carry the
	// client information (DBMS_MIN_REVISION_WITH_CLIENT_INFO).
	revisionClientInfo = 54032
	// dateMax is the last day a Date column holds, 2149-06-06.
	dateMax = 65535
	// answerTimeout bounds the wait for the server's answer to the hello
	// and to the query, as the warehouse's connection does its reads.
	answerTimeout = 10 * time.Minute
)

// BeginInsert starts inserting columns (named as Dataset.Columns gives
// them) into a canonical table. Blocks are sent by Write; Close ends the
// insert. Cancelling ctx aborts it.
func (w *Warehouse) BeginInsert(ctx context.Context, table string, columns []string) (*Insert, error) {
	if err := checkIdentifiers(table, columns); err != nil {
		return nil, err
	}
	ins := &Insert{ctx: ctx, opts: w.opts, ids: w.ids, table: table, columns: columns, distributed: w.cluster != nil}
	st, header, err := ins.open()
	if err != nil {
		return nil, err
	}
	for _, h := range header {
		ins.cols = append(ins.cols, insertColumn{typ: h.Type})
		ins.input = append(ins.input, proto.InputColumn{Name: h.Name})
	}
	ins.stmts = append(ins.stmts, st)
	return ins, nil
}

// open starts one more statement and returns the columns the server
// expects.
func (ins *Insert) open() (_ *statement, header proto.ColInfoInput, err error) {
	fail := func(err error) error { return fmt.Errorf("warehouse: insert into %s: %w", ins.table, err) }
	conn, err := ins.opts.dial(ins.ctx)
	if err != nil {
		return nil, nil, fail(err)
	}
	st := &statement{table: ins.table, conn: conn, w: proto.NewWriter(conn, new(proto.Buffer)), r: proto.NewReader(conn),
		done: make(chan error, 1)}
	st.stop = context.AfterFunc(ins.ctx, func() { conn.Close() })
	defer func() {
		if err != nil {
			st.release()
			if ins.ctx.Err() != nil {
				err = fail(ins.ctx.Err())
			}
		}
	}()
	// The server answers the hello and the query at once; the data that
	// follows may wait for it as long as it writes.
	if err := conn.SetDeadline(time.Now().Add(answerTimeout)); err != nil {
		return nil, nil, fail(err)
	}
	if err := st.handshake(ins.opts); err != nil {
		return nil, nil, fail(err)
	}
	body := "INSERT INTO " + ins.table + " (" + strings.Join(ins.columns, ", ") + ") VALUES"
	settings := []setting{{"min_insert_block_size_rows", uint64(batchRows)}, {"min_insert_block_size_bytes", 0}}
	if ins.distributed {
		settings = append(settings, setting{"insert_distributed_sync", 1})
	}
	st.query(ins.ids.next(ins.ctx), body, settings)
	if _, err := st.w.Flush(); err != nil {
		return nil, nil, fail(err)
	}
	header, err = st.header()
	if err != nil {
		return nil, nil, fail(err)
	}
	if len(header) != len(ins.columns) {
		return nil, nil, fail(fmt.Errorf("the server expects %d columns, %d named", len(header), len(ins.columns)))
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		return nil, nil, fail(err)
	}
	for i, h := range header {
		if h.Name != ins.columns[i] {
			return nil, nil, fail(fmt.Errorf("the server expects column %s where %s is named", h.Name, ins.columns[i]))
		}
		if ins.cols != nil && h.Type != ins.cols[i].typ {
			return nil, nil, fail(fmt.Errorf("column %s changed type from %s to %s", h.Name, ins.cols[i].typ, h.Type))
		}
	}
	go st.receive()
	return st, header, nil
}

// handshake introduces the client and agrees on a protocol revision.
func (st *statement) handshake(opts Options) error {
	st.w.ChainBuffer(func(b *proto.Buffer) {
		proto.ClientHello{Name: clientName, Major: 1, ProtocolVersion: proto.Version,
			Database: opts.Database, User: opts.User, Password: opts.Password}.Encode(b)
	})
	if _, err := st.w.Flush(); err != nil {
		return err
	}
	code, err := st.packet()
	if err != nil {
		return err
	}
	switch code {
	case proto.ServerCodeException:
		return st.exception()
	case proto.ServerCodeHello:
	default:
		return fmt.Errorf("the server answered the hello with packet %s", code)
	}
	var hello proto.ServerHello
	if err := hello.DecodeAware(st.r, proto.Version); err != nil {
		return fmt.Errorf("server hello: %w", err)
	}
	st.version = min(proto.Version, hello.Revision)
	if proto.FeatureAddendum.In(st.version) {
		st.w.ChainBuffer(func(b *proto.Buffer) { b.PutString("") }) // quota key
	}
	return nil
}

// setting is a query setting of type UInt64.
type setting struct {
	name  string
	value uint64
}

// query writes the query packet and the empty block that ends the (absent)
// external tables. An empty query id lets the server make one.
func (st *statement) query(queryID, body string, settings []setting) {
	v := st.version
	st.w.ChainBuffer(func(b *proto.Buffer) {
		proto.ClientCodeQuery.Encode(b)
		b.PutString(queryID)
		if v >= revisionClientInfo {
			proto.ClientInfo{
				ProtocolVersion: v,
				Major:           1,
				Interface:       proto.InterfaceTCP,
				Query:           proto.ClientQueryInitial,
				InitialAddress:  st.conn.LocalAddr().String(),
				ClientName:      clientName,
			}.EncodeAware(b, v)
		}
		for _, s := range settings {
			if proto.FeatureSettingsSerializedAsStrings.In(v) {
				proto.Setting{Key: s.name, Value: strconv.FormatUint(s.value, 10)}.Encode(b)
			} else {
				b.PutString(s.name)
				b.PutUVarInt(s.value)
			}
		}
		b.PutString("") // end of settings
		if proto.FeatureInterServerSecret.In(v) {
			b.PutString("")
		}
		proto.StageComplete.Encode(b)
		proto.CompressionDisabled.Encode(b)
		b.PutString(body)
		if proto.FeatureParameters.In(v) {
			b.PutString("") // end of parameters
		}
	})
	st.endOfData()
}

// endOfData writes an empty data block.
func (st *statement) endOfData() {
	v := st.version
	st.w.ChainBuffer(func(b *proto.Buffer) {
		proto.ClientCodeData.Encode(b)
		proto.ClientData{}.EncodeAware(b, v)
		_ = proto.Block{}.EncodeBlock(b, v, nil)
	})
}

// header reads the server's answer to the query up to the block that
// describes the columns to send.
func (st *statement) header() (proto.ColInfoInput, error) {
	for {
		code, err := st.packet()
		if err != nil {
			return nil, err
		}
		if code != proto.ServerCodeData {
			if err := st.skip(code); err != nil {
				return nil, err
			}
			continue
		}
		var info proto.ColInfoInput
		if err := st.block(&info); err != nil {
			return nil, fmt.Errorf("columns: %w", err)
		}
		return info, nil
	}
}

// receive reads the server's packets until it ends the statement, and
// sends the outcome on st.done.
func (st *statement) receive() {
	for {
		code, err := st.packet()
		if err == nil && code == proto.ServerCodeEndOfStream {
			st.done <- nil
			return
		}
		if err == nil {
			if code == proto.ServerCodeData {
				err = fmt.Errorf("unexpected data from the server")
			} else {
				err = st.skip(code)
			}
		}
		if err != nil {
			st.done <- err
			return
		}
	}
}

// packet reads the code of the next server packet.
func (st *statement) packet() (proto.ServerCode, error) {
	n, err := st.r.UVarInt()
	if err != nil {
		return 0, err
	}
	code := proto.ServerCode(n)
	if !code.IsAServerCode() {
		return 0, fmt.Errorf("unknown server packet %d", n)
	}
	return code, nil
}

// skip reads a packet that tells nothing the insert needs; an exception is
// returned as an error.
func (st *statement) skip(code proto.ServerCode) error {
	v := st.version
	switch code {
	case proto.ServerCodeException:
		return st.exception()
	case proto.ServerCodeProgress:
		var p proto.Progress
		return p.DecodeAware(st.r, v)
	case proto.ServerCodeProfile:
		var p proto.Profile
		return p.DecodeAware(st.r, v)
	case proto.ServerCodeTableColumns:
		var c proto.TableColumns
		return c.DecodeAware(st.r, v)
	case proto.ServerProfileEvents:
		var e proto.ProfileEvents
		return st.block(e.Result())
	case proto.ServerCodeLog:
		var l proto.Logs
		return st.block(l.Result())
	}
	return fmt.Errorf("unexpected server packet %s", code)
}

// block reads a block the server sends, after its packet code.
func (st *statement) block(into proto.Result) error {
	if proto.FeatureTempTables.In(st.version) {
		if _, err := st.r.Str(); err != nil {
			return err
		}
	}
	var b proto.Block
	return b.DecodeBlock(st.r, st.version, into)
}

// exception reads the server's error.
func (st *statement) exception() error {
	var e proto.Exception
	if err := e.DecodeAware(st.r, st.version); err != nil {
		return fmt.Errorf("server exception: %w", err)
	}
	return &ServerError{Code: int32(e.Code), Name: e.Name, Message: strings.TrimSpace(e.Message)}
}

// ServerError is an error ClickHouse returned.
type ServerError struct {
	Code    int32
	Name    string
	Message string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("%s (%d): %s", e.Name, e.Code, e.Message)
}

// Write sends one block of rows. The block is not retained: it can be
// reused once Write returns.
func (ins *Insert) Write(b *sources.Block) error {
	if ins.err != nil {
		return ins.err
	}
	if b.Len() == 0 {
		return nil
	}
	names := b.Columns()
	if len(names) != len(ins.cols) {
		return fmt.Errorf("warehouse: insert into %s: a block of %d columns, %d expected", ins.table, len(names), len(ins.cols))
	}
	for i := range ins.cols {
		if names[i] != ins.input[i].Name {
			return fmt.Errorf("warehouse: insert into %s: block column %d is %s, %s expected", ins.table, i, names[i], ins.input[i].Name)
		}
	}
	if !ins.ordered {
		ins.order, ins.ordered = newRowOrder(ins.table, names, b.Kind), true
	}
	var perm []int32
	if ins.order != nil {
		perm = ins.order.sort(b)
	}
	for i := range ins.cols {
		data, err := ins.cols[i].bind(b, i, perm)
		if err != nil {
			return fmt.Errorf("warehouse: insert into %s: column %s: %w", ins.table, names[i], err)
		}
		ins.input[i].Data = data
	}
	defer func() {
		for i := range ins.input {
			ins.input[i].Data = nil
		}
	}()
	if ins.batched >= batchRows {
		// The server writes the batch just sent: the next one goes to
		// the next statement.
		ins.cur, ins.batched = (ins.cur+1)%insertStatements, 0
		if ins.cur == len(ins.stmts) {
			st, _, err := ins.open()
			if err != nil {
				ins.err = err
				return err
			}
			ins.stmts = append(ins.stmts, st)
		}
	}
	if err := ins.stmts[ins.cur].write(ins.input, b.Len()); err != nil {
		ins.err = err
		return err
	}
	ins.batched += b.Len()
	return nil
}

// Close ends the insert and waits for the server to confirm it. On error,
// blocks already written may have been stored.
func (ins *Insert) Close() error {
	if ins.err != nil {
		ins.Abort()
		return ins.err
	}
	for _, st := range ins.stmts {
		st.end()
	}
	var err error
	for _, st := range ins.stmts {
		if e := st.wait(); err == nil {
			err = e
		}
	}
	ins.err = err
	return err
}

// Abort drops the insert: the server stops it, and may have stored the
// blocks already written.
func (ins *Insert) Abort() {
	for _, st := range ins.stmts {
		st.release()
	}
}

// write sends one block.
func (st *statement) write(input proto.Input, rows int) error {
	if err := st.failed(); err != nil {
		return err
	}
	v := st.version
	st.w.ChainBuffer(func(buf *proto.Buffer) {
		proto.ClientCodeData.Encode(buf)
		proto.ClientData{}.EncodeAware(buf, v)
	})
	block := proto.Block{Columns: len(input), Rows: rows, Info: proto.BlockInfo{BucketNum: -1}}
	err := block.WriteBlock(st.w, v, input)
	if err == nil {
		_, err = st.w.Flush()
	}
	if err != nil {
		return st.fail(err)
	}
	return nil
}

// end sends the end of the data, and wait waits for the server to end the
// statement.
func (st *statement) end() {
	if st.failed() != nil {
		return
	}
	st.endOfData()
	if _, err := st.w.Flush(); err != nil {
		st.fail(err)
	}
}

func (st *statement) wait() error {
	defer st.release()
	if st.outcome != nil || st.ended {
		return st.outcome
	}
	err := <-st.done
	st.ended = true
	if err != nil {
		st.outcome = fmt.Errorf("warehouse: insert into %s: %w", st.table, err)
	}
	return st.outcome
}

func (st *statement) release() {
	st.once.Do(func() {
		st.stop()
		st.conn.Close()
	})
}

// failed returns the error that ended the statement early, if any.
func (st *statement) failed() error {
	if st.outcome != nil {
		return st.outcome
	}
	if st.ended {
		return nil
	}
	select {
	case err := <-st.done:
		st.ended = true
		if err == nil {
			err = errors.New("the server ended the statement early")
		}
		st.outcome = fmt.Errorf("warehouse: insert into %s: %w", st.table, err)
		return st.outcome
	default:
		return nil
	}
}

// fail returns the error of a failed write: the server's own, when it sent
// one before closing the connection.
func (st *statement) fail(err error) error {
	if !st.ended {
		select {
		case serverErr := <-st.done:
			st.ended = true
			if serverErr != nil && !errors.Is(serverErr, io.EOF) && !errors.Is(serverErr, net.ErrClosed) {
				err = serverErr
			}
		case <-time.After(time.Second):
		}
	}
	st.outcome = fmt.Errorf("warehouse: insert into %s: %w", st.table, err)
	return st.outcome
}

// insertColumn encodes one column of the blocks: the block's storage
// (sources.Kind) must match the server's type.
type insertColumn struct {
	typ proto.ColumnType
	// Buffers of the values of a block, in the order they are sent, when
	// they cannot be sent from the block itself.
	days  proto.ColDate
	bytes []byte
	u32   proto.ColUInt32
	u64   proto.ColUInt64
	f64   proto.ColFloat64
}

// columnTypes are the server types of the kinds of block columns.
var columnTypes = map[sources.Kind]proto.ColumnType{
	sources.TextKind: "String", sources.DayKind: "Date", sources.Uint8Kind: "UInt8",
	sources.Uint32Kind: "UInt32", sources.Uint64Kind: "UInt64", sources.Float64Kind: "Float64",
	sources.OptionalUint8Kind: "Nullable(UInt8)", sources.ListKind: "Array(String)",
	sources.KeyKind: proto.ColumnType("FixedString(" + strconv.Itoa(sources.KeySize) + ")"),
}

// Column encoders, one per kind of block column.
type (
	textColumn struct {
		typ  proto.ColumnType
		data []byte
		ends []uint32
		perm []int32
	}
	keyColumn struct {
		typ  proto.ColumnType
		keys []byte
	}
	optionalUint8Column struct {
		typ          proto.ColumnType
		values, none []uint8
	}
	listColumn struct {
		typ     proto.ColumnType
		items   textColumn
		rowEnds []uint32
		perm    []int32
	}
)

// bind returns the encoder of column i of b, its rows in the order perm
// gives (nil: as they are), checking that the server's type stores the
// block's values as they are.
func (c *insertColumn) bind(b *sources.Block, i int, perm []int32) (proto.ColInput, error) {
	if want := columnTypes[b.Kind(i)]; c.typ != want {
		return nil, fmt.Errorf("the table's type %s cannot take the block's values (%s)", c.typ, want)
	}
	switch b.Kind(i) {
	case sources.TextKind:
		data, ends := b.Text(i)
		return &textColumn{typ: c.typ, data: data, ends: ends, perm: perm}, nil
	case sources.DayKind:
		days := b.Days(i)
		c.days = c.days[:0]
		for k := range days {
			d := days[k]
			if perm != nil {
				d = days[perm[k]]
			}
			if d < 0 || d > dateMax {
				return nil, fmt.Errorf("the day %s is out of the range of a Date column", d)
			}
			c.days = append(c.days, proto.Date(d))
		}
		return c.days, nil
	case sources.Uint8Kind:
		c.bytes = gather(c.bytes[:0], b.Uint8s(i), perm)
		return proto.ColUInt8(c.bytes), nil
	case sources.Uint32Kind:
		c.u32 = gather(c.u32[:0], b.Uint32s(i), perm)
		return c.u32, nil
	case sources.Uint64Kind:
		c.u64 = gather(c.u64[:0], b.Uint64s(i), perm)
		return c.u64, nil
	case sources.Float64Kind:
		c.f64 = gather(c.f64[:0], b.Float64s(i), perm)
		return c.f64, nil
	case sources.OptionalUint8Kind:
		values, none := b.OptionalUint8s(i)
		if perm != nil {
			c.bytes = c.bytes[:0]
			for _, r := range perm {
				c.bytes = append(c.bytes, none[r])
			}
			for _, r := range perm {
				c.bytes = append(c.bytes, values[r])
			}
			none, values = c.bytes[:len(none)], c.bytes[len(none):]
		}
		return &optionalUint8Column{typ: c.typ, none: none, values: values}, nil
	case sources.ListKind:
		data, itemEnds, rowEnds := b.List(i)
		return &listColumn{typ: c.typ, items: textColumn{data: data, ends: itemEnds}, rowEnds: rowEnds, perm: perm}, nil
	case sources.KeyKind:
		keys := b.Keys(i)
		if perm != nil {
			c.bytes = c.bytes[:0]
			for _, r := range perm {
				c.bytes = append(c.bytes, keys[int(r)*sources.KeySize:int(r+1)*sources.KeySize]...)
			}
			keys = c.bytes
		}
		return &keyColumn{typ: c.typ, keys: keys}, nil
	}
	return nil, fmt.Errorf("unknown kind of block column %d", b.Kind(i))
}

// gather returns the values of vals in the order perm gives, in out's
// buffer; vals itself when perm is nil.
func gather[T any](out, vals []T, perm []int32) []T {
	if perm == nil {
		return vals
	}
	for _, r := range perm {
		out = append(out, vals[r])
	}
	return out
}

func (c *textColumn) Type() proto.ColumnType { return c.typ }
func (c *textColumn) Rows() int              { return len(c.ends) }

// EncodeColumn writes each text as its length (a varint) and its bytes.
func (c *textColumn) EncodeColumn(b *proto.Buffer) {
	buf := b.Buf
	if need := len(buf) + len(c.data) + 2*len(c.ends); need > cap(buf) {
		buf = append(make([]byte, 0, need+need/4), buf...)
	}
	if c.perm == nil {
		start := uint32(0)
		for _, end := range c.ends {
			buf = appendText(buf, c.data[start:end])
			start = end
		}
	} else {
		for _, r := range c.perm {
			buf = appendText(buf, c.data[c.start(r):c.ends[r]])
		}
	}
	b.Buf = buf
}

// start returns where text r starts.
func (c *textColumn) start(r int32) uint32 {
	if r == 0 {
		return 0
	}
	return c.ends[r-1]
}

// appendText appends a text's length (a varint) and its bytes.
func appendText(buf, text []byte) []byte {
	if n := len(text); n < 0x80 {
		buf = append(buf, byte(n))
	} else {
		buf = binary.AppendUvarint(buf, uint64(n))
	}
	return append(buf, text...)
}

func (c *textColumn) WriteColumn(w *proto.Writer) { w.ChainBuffer(c.EncodeColumn) }

func (c *keyColumn) Type() proto.ColumnType       { return c.typ }
func (c *keyColumn) Rows() int                    { return len(c.keys) / sources.KeySize }
func (c *keyColumn) EncodeColumn(b *proto.Buffer) { b.PutRaw(c.keys) }
func (c *keyColumn) WriteColumn(w *proto.Writer)  { w.ChainWrite(c.keys) }

func (c *optionalUint8Column) Type() proto.ColumnType { return c.typ }
func (c *optionalUint8Column) Rows() int              { return len(c.values) }

// EncodeColumn writes the null map (1: none), then the values.
func (c *optionalUint8Column) EncodeColumn(b *proto.Buffer) {
	b.PutRaw(c.none)
	b.PutRaw(c.values)
}

func (c *optionalUint8Column) WriteColumn(w *proto.Writer) {
	w.ChainWrite(c.none)
	w.ChainWrite(c.values)
}

func (c *listColumn) Type() proto.ColumnType { return c.typ }
func (c *listColumn) Rows() int              { return len(c.rowEnds) }

// EncodeColumn writes the end of each row's items (UInt64), then the items.
func (c *listColumn) EncodeColumn(b *proto.Buffer) {
	if c.perm == nil {
		for _, end := range c.rowEnds {
			b.PutUInt64(uint64(end))
		}
		c.items.EncodeColumn(b)
		return
	}
	items := uint64(0)
	for _, r := range c.perm {
		from, to := c.itemsOf(r)
		items += uint64(to - from)
		b.PutUInt64(items)
	}
	for _, r := range c.perm {
		from, to := c.itemsOf(r)
		for item := from; item < to; item++ {
			b.Buf = appendText(b.Buf, c.items.data[c.items.start(int32(item)):c.items.ends[item]])
		}
	}
}

// itemsOf returns the items of row r.
func (c *listColumn) itemsOf(r int32) (from, to uint32) {
	if r > 0 {
		from = c.rowEnds[r-1]
	}
	return from, c.rowEnds[r]
}

func (c *listColumn) WriteColumn(w *proto.Writer) { w.ChainBuffer(c.EncodeColumn) }
