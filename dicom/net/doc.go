// Package net is Lingshu Edge's DICOM Upper Layer (PS3.8) and DIMSE (PS3.7)
// implementation: a C-ECHO/C-STORE SCP for receiving studies from a PACS,
// and an SCU for tests and export. Importers alias it dicomnet.
//
// The flow on the SCP side, one goroutine per TCP connection:
//
//	accept ─▶ host allow-list ─▶ Sta2: read A-ASSOCIATE-RQ within ARTIMTimeout
//	       ─▶ negotiate (protocol version, application context, called/calling AE,
//	          association limit, one decision per presentation context)
//	       ─▶ A-ASSOCIATE-RJ and close, or A-ASSOCIATE-AC
//	       ─▶ Sta6: P-DATA-TF PDUs ─▶ PDVs ─▶ reassembled command set + data set
//	          ─▶ C-ECHO-RSP, or StoreHandler.Store then C-STORE-RSP with its status
//	       ─▶ A-RELEASE-RQ/RP, or A-ABORT either way, or idle timeout, or Shutdown
//
// Files: pdu.go and items.go encode and decode the seven PDU types and their
// items; conn.go moves PDUs over a buffered connection and fragments what we
// send to the peer's maximum PDU length; message.go reassembles DIMSE
// messages, streaming PDV payloads straight from the socket buffer into the
// command set and the data set; dimse.go encodes command sets; negotiate.go
// decides on an A-ASSOCIATE-RQ; assoc.go is the per-association state
// machine; server.go is the listener, configuration, shutdown and counters;
// client.go is the SCU; sopclasses.go lists the Storage SOP classes;
// status.go the DIMSE status codes.
//
// Performance: one goroutine per association, 64 KiB bufio on both
// directions, TCP_NODELAY, one flush per response, reused PDU and command
// buffers, and no allocation per fragment. Each data set gets its own
// buffer (the handler may keep it); ServerConfig.ReuseDatasetBuffers
// recycles it instead, which removes an allocation and its page faults per
// instance when the handler does not retain StoreRequest.Dataset.
//
// Decisions where PS3.8/PS3.7 leave a choice:
//   - Every Storage SOP class of PS3.4 Annex B (and retired ones still in the
//     field) is accepted with the first proposed transfer syntax that is a
//     valid UID, compressed or not: data sets are stored exactly as received.
//   - A data set larger than ServerConfig.MaxDatasetBytes is read and
//     discarded, then answered with 0xA700 (out of resources); the
//     association stays usable and memory stays bounded.
//   - A P-DATA-TF longer than the advertised maximum PDU length, an unknown
//     PDU type, a malformed PDU or an unparsable command set end the
//     association with an A-ABORT (source service-provider) since no
//     response can be addressed reliably. A C-STORE-RQ that parses but lacks
//     its SOP class or instance UID is answered 0xC000; one whose SOP class
//     differs from its presentation context's abstract syntax 0x0122;
//     other DIMSE requests 0x0211 (unrecognized operation).
//   - Connections from hosts outside AllowedHosts are closed at once,
//     without a PDU. Above MaxAssociations the A-ASSOCIATE-RQ is read and
//     rejected (transient, local-limit-exceeded).
//   - Shutdown lets a message being received or handled finish and be
//     answered, then sends A-ABORT (source service-user): an SCP-initiated
//     A-RELEASE confuses many SCUs. IdleTimeout without a PDU between
//     messages also ends in A-ABORT (source service-user); inside a
//     message the timer restarts with every PDU, so a slow but steady
//     transfer survives.
//
// Nothing identifying a patient is logged at Info level or above: logs
// carry AE titles, addresses, SOP class names and counts; SOP instance UIDs
// appear only at Debug.
package net
