package net

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"time"
)

// maxControlPDU bounds every PDU that is not P-DATA-TF. An A-ASSOCIATE-RQ with
// 128 presentation contexts of 10 transfer syntaxes each is about 100 KiB.
const maxControlPDU = 1 << 20

// maxUnlimitedFragment is the PDV size we send to a peer that advertised no limit.
const maxUnlimitedFragment = 1 << 20

// ulConn carries PDUs and DIMSE messages over one TCP connection. It is used
// by one goroutine at a time; buffers are reused across messages.
type ulConn struct {
	nc      net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	rbuf    []byte // PDU body buffer, reused
	wbuf    []byte // scratch for control PDUs and command sets
	pduLeft uint32 // unread bytes of the current P-DATA-TF body; 0 at a PDU boundary
	cmdBuf  []byte // command set reassembly, reused

	maxRecv uint32 // largest P-DATA-TF we accept: what we advertised
	maxSend uint32 // peer's maximum PDU length, 0 = unlimited

	readTimeout  time.Duration // refreshed per PDU inside a message; 0 = none
	lastDeadline time.Time
}

func newULConn(nc net.Conn, maxRecv uint32) *ulConn {
	if maxRecv == 0 {
		maxRecv = DefaultMaxPDULength
	}
	return &ulConn{
		nc:      nc,
		br:      bufio.NewReaderSize(nc, 64<<10),
		bw:      bufio.NewWriterSize(nc, 64<<10),
		maxRecv: maxRecv,
	}
}

// readPDU reads the next whole PDU, discarding any unread PDVs of the current one.
func (c *ulConn) readPDU() (PDUType, []byte, error) {
	if c.pduLeft > 0 {
		n := c.pduLeft
		c.pduLeft = 0
		if _, err := c.br.Discard(int(n)); err != nil {
			return 0, nil, err
		}
	}
	t, body, buf, err := readPDU(c.br, c.rbuf, c.maxRecv, maxControlPDU)
	c.rbuf = buf
	return t, body, err
}

func (c *ulConn) refreshDeadline() {
	if c.readTimeout <= 0 {
		return
	}
	now := time.Now()
	// Resetting the deadline costs a timer update; do it at most every
	// 500 ms (or an eighth of the timeout, for short timeouts).
	if now.Sub(c.lastDeadline) < min(500*time.Millisecond, c.readTimeout/8) {
		return
	}
	c.lastDeadline = now
	_ = c.nc.SetReadDeadline(now.Add(c.readTimeout))
}

// writePDU encodes and sends one PDU, flushing it.
func (c *ulConn) writePDU(p PDU) error {
	var err error
	c.wbuf, err = AppendPDU(c.wbuf[:0], p)
	if err != nil {
		return err
	}
	if _, err := c.bw.Write(c.wbuf); err != nil {
		return err
	}
	return c.bw.Flush()
}

// writeMessage sends a command set and, when data is non-nil, a data set on
// presentation context ctxID, fragmented to the peer's maximum PDU length.
func (c *ulConn) writeMessage(ctxID byte, cmd *Command, data []byte) error {
	c.wbuf = AppendCommand(c.wbuf[:0], cmd)
	if err := c.writeFragments(ctxID, true, c.wbuf); err != nil {
		return err
	}
	if cmd.HasDataSet {
		if err := c.writeFragments(ctxID, false, data); err != nil {
			return err
		}
	}
	return c.bw.Flush()
}

func (c *ulConn) fragmentSize() int {
	if c.maxSend == 0 || c.maxSend > maxUnlimitedFragment+6 {
		return maxUnlimitedFragment
	}
	if c.maxSend <= 8 {
		return 2
	}
	return int(c.maxSend) - 6
}

// writeFragments writes b as one P-DATA-TF PDU per fragment, each holding one PDV.
func (c *ulConn) writeFragments(ctxID byte, command bool, b []byte) error {
	frag := c.fragmentSize()
	var hdr [12]byte
	hdr[0] = byte(TypePDataTF)
	hdr[10] = ctxID
	for first := true; first || len(b) > 0; first = false {
		n := min(len(b), frag)
		last := n == len(b)
		binary.BigEndian.PutUint32(hdr[2:6], uint32(n+6))
		binary.BigEndian.PutUint32(hdr[6:10], uint32(n+2))
		hdr[11] = pdvControl(command, last)
		if _, err := c.bw.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := c.bw.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// lingerClose half-closes the connection after our last PDU, waits for the
// peer to close (PS3.8 Sta13) until the read deadline (ARTIM) set by the
// caller, then closes. Reading until EOF keeps the kernel from answering
// unread data with a reset that could destroy our final PDU before the peer
// reads it.
func lingerClose(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(nc, 4<<20))
	_ = nc.Close()
}
