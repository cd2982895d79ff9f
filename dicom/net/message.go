package net

import (
	"encoding/binary"
	"io"
)

// message is one reassembled DIMSE message.
type message struct {
	ctxID     byte
	cmd       *Command
	data      []byte // nil when there is no data set or it overflowed
	dataBytes int64  // data set bytes received, kept even when dropped
	overflow  bool   // the data set exceeded the limit and was drained, not kept
}

// readMessage reads the next DIMSE message, streaming PDV payloads from the
// connection straight into the command buffer and the data set (no
// intermediate PDU buffer). dataBuf, when non-nil, is reused for the data
// set. maxData bounds the kept data set: larger ones are read and dropped,
// with msg.overflow set. A PDU other than P-DATA-TF at a message boundary
// is returned as ctl; an A-ABORT inside a message is returned as ctl too;
// any other PDU inside a message is a protocol error. started is called
// when the first PDU of a message has arrived.
func (c *ulConn) readMessage(maxData int64, started func(), dataBuf []byte) (*message, PDU, error) {
	var msg *message
	c.cmdBuf = c.cmdBuf[:0]
	inData, gotPDV := false, false
	for {
		if c.pduLeft == 0 {
			if msg != nil {
				c.refreshDeadline()
			}
			ctl, err := c.nextPDataTF(msg != nil)
			if err != nil || ctl != nil {
				return nil, ctl, err
			}
		}
		if msg == nil {
			msg = &message{}
			if started != nil {
				started()
			}
		}
		ctxID, command, last, n, err := c.nextPDVHeader()
		if err != nil {
			return nil, nil, err
		}
		if !gotPDV {
			msg.ctxID, gotPDV = ctxID, true
		}
		switch {
		case ctxID != msg.ctxID:
			return nil, nil, protoErr(AbortReasonInvalidParameter, "pdv context %d inside a message on context %d", ctxID, msg.ctxID)
		case command && inData:
			return nil, nil, protoErr(AbortReasonUnexpectedParameter, "command fragment after data set fragments")
		case !command && !inData:
			return nil, nil, protoErr(AbortReasonUnexpectedParameter, "data set fragment before the command set")
		case command && len(c.cmdBuf)+int(n) > maxCommandBytes:
			return nil, nil, protoErr(AbortReasonInvalidParameter, "command set over %d bytes", maxCommandBytes)
		}
		if command {
			if c.cmdBuf, err = c.readAppend(c.cmdBuf, n); err != nil {
				return nil, nil, err
			}
			if !last {
				continue
			}
			cmd, err := DecodeCommand(c.cmdBuf)
			if err != nil {
				return nil, nil, err
			}
			msg.cmd = cmd
			if !cmd.HasDataSet {
				return msg, nil, nil
			}
			inData = true
			continue
		}
		msg.dataBytes += int64(n)
		if !msg.overflow && msg.dataBytes > maxData {
			msg.overflow, msg.data = true, nil
		}
		if msg.overflow {
			err = c.discard(n)
		} else {
			if msg.data == nil {
				msg.data = dataBuf[:0]
				switch {
				case cap(msg.data) > 0:
				case last:
					msg.data = make([]byte, 0, n)
				default: // more fragments follow: start with room for several
					msg.data = make([]byte, 0, min(maxData, int64(max(4096, 4*int(n)))))
				}
			}
			msg.data, err = c.readAppend(msg.data, n)
		}
		if err != nil {
			return nil, nil, err
		}
		if last {
			if msg.data == nil && !msg.overflow {
				msg.data = []byte{}
			}
			return msg, nil, nil
		}
	}
}

// nextPDataTF reads PDU headers until a P-DATA-TF begins (pduLeft set) or
// another PDU arrives, which is returned decoded. Inside a message only an
// A-ABORT is acceptable.
func (c *ulConn) nextPDataTF(inMessage bool) (PDU, error) {
	var hdr [pduHeaderLen]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return nil, err
	}
	t := PDUType(hdr[0])
	n := binary.BigEndian.Uint32(hdr[2:6])
	if t < TypeAssociateRQ || t > TypeAbort {
		return nil, protoErr(AbortReasonUnrecognizedPDU, "unrecognized pdu type 0x%02x", hdr[0])
	}
	if t == TypePDataTF {
		if n > c.maxRecv {
			return nil, pduTooLarge(t, n, c.maxRecv)
		}
		if n == 0 {
			return nil, protoErr(AbortReasonInvalidParameter, "p-data-tf: no pdv items")
		}
		c.pduLeft = n
		return nil, nil
	}
	if n > maxControlPDU {
		return nil, pduTooLarge(t, n, maxControlPDU)
	}
	if uint32(cap(c.rbuf)) < n {
		c.rbuf = make([]byte, n)
	}
	body := c.rbuf[:n]
	if _, err := io.ReadFull(c.br, body); err != nil {
		return nil, unexpectedEOF(err)
	}
	p, err := decodeBody(t, body)
	if err != nil {
		return nil, err
	}
	if inMessage && t != TypeAbort {
		return nil, protoErr(AbortReasonUnexpectedPDU, "%v inside a dimse message", t)
	}
	return p, nil
}

// nextPDVHeader reads one PDV item header from the current P-DATA-TF and
// returns its payload length, checked against what is left of the PDU.
func (c *ulConn) nextPDVHeader() (ctxID byte, command, last bool, n uint32, err error) {
	if c.pduLeft < 6 {
		return 0, false, false, 0, protoErr(AbortReasonInvalidParameter, "p-data-tf: truncated pdv header (%d bytes)", c.pduLeft)
	}
	var h [6]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return 0, false, false, 0, unexpectedEOF(err)
	}
	c.pduLeft -= 6
	l := binary.BigEndian.Uint32(h[0:4])
	if l < 2 || l-2 > c.pduLeft {
		return 0, false, false, 0, protoErr(AbortReasonInvalidParameter, "p-data-tf: pdv length %d outside 2..%d", l, c.pduLeft+2)
	}
	if h[5]&^3 != 0 {
		return 0, false, false, 0, protoErr(AbortReasonInvalidParameter, "p-data-tf: reserved message control bits 0x%02x", h[5])
	}
	return h[4], h[5]&1 != 0, h[5]&2 != 0, l - 2, nil
}

// readAppend reads n payload bytes of the current PDV onto dst, growing it geometrically.
func (c *ulConn) readAppend(dst []byte, n uint32) ([]byte, error) {
	l := len(dst)
	if need := l + int(n); need > cap(dst) {
		nc := max(2*cap(dst), need, 4096)
		nb := make([]byte, l, nc)
		copy(nb, dst)
		dst = nb
	}
	dst = dst[:l+int(n)]
	if _, err := io.ReadFull(c.br, dst[l:]); err != nil {
		return dst[:l], unexpectedEOF(err)
	}
	c.pduLeft -= n
	return dst, nil
}

func (c *ulConn) discard(n uint32) error {
	if _, err := c.br.Discard(int(n)); err != nil {
		return unexpectedEOF(err)
	}
	c.pduLeft -= n
	return nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
