package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom"
	dicomnet "github.com/lingshu-edge/lingshu/dicom/net"
)

// ingest turns each C-STORE into a durable, indexed instance. Its answer is
// the C-STORE status: success only once the store has committed.
type ingest struct {
	store   *store.Store
	log     *slog.Logger
	metrics *daemonMetrics
}

// Store implements dicomnet.StoreHandler.
func (in *ingest) Store(ctx context.Context, req *dicomnet.StoreRequest) dicomnet.Status {
	sum, err := dicom.ParseSummary(req.Dataset, req.TransferSyntaxUID)
	if err != nil {
		in.metrics.refused(refuseUnparseable)
		in.log.Warn("refused unparseable dataset", "sop_instance_uid", req.SOPInstanceUID, "calling_ae", req.CallingAE, "err", err)
		return dicomnet.Status{Code: dicomnet.StatusCannotUnderstand, Comment: truncateComment(err.Error())}
	}
	// The summary stops before Pixel Data; a full structural parse catches
	// a dataset cut short or corrupt further on, before anything is written.
	if _, err := dicom.ParseDataset(req.Dataset, req.TransferSyntaxUID); err != nil {
		in.metrics.refused(refuseMalformed)
		in.log.Warn("refused malformed dataset", "sop_instance_uid", req.SOPInstanceUID, "calling_ae", req.CallingAE, "err", err)
		return dicomnet.Status{Code: dicomnet.StatusCannotUnderstand, Comment: truncateComment(err.Error())}
	}
	if st, bad := checkIdentity(req, sum); bad {
		in.metrics.refused(refuseIdentityMismatch)
		in.log.Warn("refused dataset that contradicts its command", "sop_instance_uid", req.SOPInstanceUID,
			"calling_ae", req.CallingAE, "reason", st.Comment)
		return st
	}
	start := time.Now()
	res, err := in.store.PutInstance(ctx, store.Incoming{
		Meta: dicom.FileMeta{
			MediaStorageSOPClassUID:      req.SOPClassUID,
			MediaStorageSOPInstanceUID:   req.SOPInstanceUID,
			TransferSyntaxUID:            req.TransferSyntaxUID,
			ImplementationClassUID:       implementationClassUID,
			ImplementationVersionName:    implementationVersionName(),
			SourceApplicationEntityTitle: req.CallingAE,
		},
		Dataset:    req.Dataset,
		Summary:    sum,
		SenderAE:   req.CallingAE,
		RemoteAddr: req.RemoteAddr,
		ReceivedAt: start,
	})
	in.metrics.observePut(time.Since(start), res, err)
	switch {
	case errors.Is(err, store.ErrOutOfResources):
		in.metrics.refused(refuseLowDisk)
		in.log.Error("refused instance: low disk space", "sop_instance_uid", req.SOPInstanceUID, "err", err)
		return dicomnet.Status{Code: dicomnet.StatusOutOfResources, Comment: "out of resources: low disk space"}
	case errors.Is(err, store.ErrInvalidInstance):
		in.metrics.refused(refuseInvalid)
		in.log.Warn("refused invalid instance", "sop_instance_uid", req.SOPInstanceUID, "err", err)
		// The comment has 64 characters: keep the reason, not the UID prefix.
		msg := err.Error()
		if i := strings.Index(msg, "invalid instance"); i >= 0 {
			msg = msg[i:]
		}
		return dicomnet.Status{Code: dicomnet.StatusCannotUnderstand, Comment: truncateComment(msg)}
	case err != nil:
		in.metrics.refused(refuseStoreError)
		in.log.Error("store instance failed", "sop_instance_uid", req.SOPInstanceUID, "err", err)
		return dicomnet.Status{Code: dicomnet.StatusOutOfResources, Comment: "cannot store instance"}
	}
	in.log.Debug("stored instance", "sop_instance_uid", req.SOPInstanceUID, "duplicate", res.Duplicate, "calling_ae", req.CallingAE)
	return dicomnet.Status{Code: dicomnet.StatusSuccess}
}

// checkIdentity refuses a dataset whose SOP Class or Instance UID differs
// from the C-STORE command's: indexing it under either UID would be wrong.
// A dataset that lacks one of them (seen from old modalities) takes the
// command's, which is what the sender meant.
func checkIdentity(req *dicomnet.StoreRequest, sum *dicom.Summary) (dicomnet.Status, bool) {
	if sum.SOPClassUID == "" {
		sum.SOPClassUID = req.SOPClassUID
	}
	if sum.SOPInstanceUID == "" {
		sum.SOPInstanceUID = req.SOPInstanceUID
	}
	if sum.SOPClassUID != req.SOPClassUID {
		return dicomnet.Status{Code: dicomnet.StatusDataSetDoesNotMatchSOPClass,
			Comment: truncateComment(fmt.Sprintf("dataset SOP class %q differs from command %q", sum.SOPClassUID, req.SOPClassUID))}, true
	}
	if sum.SOPInstanceUID != req.SOPInstanceUID {
		return dicomnet.Status{Code: dicomnet.StatusCannotUnderstand,
			Comment: truncateComment(fmt.Sprintf("dataset SOP instance %q differs from command %q", sum.SOPInstanceUID, req.SOPInstanceUID))}, true
	}
	return dicomnet.Status{}, false
}

// truncateComment fits the Error Comment (0000,0902), an LO of at most 64 characters.
func truncateComment(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
