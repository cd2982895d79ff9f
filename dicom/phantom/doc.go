// Package phantom generates synthetic DICOM studies with known answers:
// chest CT, chest radiographs (CR or DX) and head MR, each with findings
// whose type, size and position are recorded, a reference report and VQA
// pairs. Real patient data cannot ship; ingest, viewer, model, fine-tuning
// and evaluation tests use these instead.
//
// # Output
//
// Generate writes, under Options.OutDir, one folder per study named
// study_NNNN_<PatientID> holding the Part-10 files (CT000001.dcm …,
// CR000001.dcm, DX000001.dcm, MR000001.dcm, or SC000001.dcm for a
// multi-frame volume) and ground_truth.json, plus phantom_index.json listing
// the studies. NewStudy builds one study in memory: Instance.Dataset is the
// dataset without meta group, in the instance's transfer syntax (what a
// C-STORE carries); Instance.File is the whole Part-10 file.
//
// # IODs and encodings
//
//   - CT Image Storage: 512×512 axial slices, 0.7 mm pixels, signed 16-bit,
//     RescaleIntercept -1024 / slope 1 in HU, lung window; 40 slices of 5 mm
//     by default (Options.Slices changes the count; the slices always cover
//     about 200 mm, thickness 200/N clamped to 1–10 mm). Slices run from
//     superior to inferior.
//   - CR Image Storage and Digital X-Ray Image Storage – For Presentation:
//     one PA chest radiograph, 1248×1024, ImagerPixelSpacing 0.35 mm,
//     magnification 1.1, 12 bits, MONOCHROME2 (bone bright).
//   - MR Image Storage: 256×256 axial T2-weighted fast spin echo slices,
//     0.9375 mm pixels, 24 slices of 5 mm by default, inferior to superior.
//   - Options.MultiFrame stores a CT or MR series as one Multi-frame
//     Grayscale Word Secondary Capture instance (ConversionType SYN, one
//     frame per slice, FrameIncrementPointer → SliceLocationVector, pixel
//     values unsigned: CT keeps the -1024 intercept, RescaleType HU). That
//     IOD has no Image Plane module, so positions are in ground_truth.json.
//   - Transfer syntaxes: implicit VR little endian, explicit VR little endian
//     (default), deflated explicit VR little endian (raw DEFLATE of the
//     dataset after the meta group), and JPEG baseline 8-bit for CR and DX
//     (windowed to 8 bits, one fragment per frame after a Basic Offset Table,
//     LossyImageCompression 01 with ratio and method ISO_10918_1).
//
// Every instance carries the Patient, General Study, Patient Study, General
// Series, (Frame of Reference for CT/MR), General Equipment, General Image,
// Image Plane (CT/MR), Image Pixel, modality image, VOI LUT and SOP Common
// modules; DX adds DX Series, DX Anatomy Imaged, DX Image, DX Detector, DX
// Positioning and Acquisition Context. The encoder (encode.go) writes
// elements sorted by tag, with even lengths, defined-length sequences and
// items; meta.go wraps them with dicom.WritePart10 (File Meta Information
// with group length, Lingshu's implementation class UID, version name
// LINGSHU_PHANTOM1).
//
// # Synthetic patients
//
// PatientName is PHANTOM^<given>^<n>, PatientID PH followed by six digits,
// PatientIdentityRemoved YES with DeidentificationMethod and PatientComments
// saying the data are synthetic. Dates come from the seed, never the clock.
//
// # UIDs
//
// Every UID is "2.25." followed by the decimal value of a version-8 UUID
// (RFC 9562) made from SHA-256 of "lingshu-edge/phantom/v1/<seed>/<study
// index>/<modality>/<transfer syntax>/<multiframe>/<kind>/<n>" (UIDRoot,
// uid.go), so a seed always gives the same UIDs, and a study written in
// another transfer syntax or as multi-frame gets its own.
//
// # Determinism
//
// All randomness comes from math/rand/v2 PCG generators seeded from
// (Options.Seed, study index, modality); each slice's noise has its own
// stream, so slices render in parallel and the bytes do not depend on
// scheduling. No map order, clock or environment reaches the output.
//
// # Coordinates
//
// Patient coordinates are DICOM LPS in millimetres: x towards the patient's
// left, y posterior, z superior. CT and MR images are axial with
// ImageOrientationPatient 1\0\0\0\1\0: column index grows with x, row index
// with y, and pixel (row r, column c) of a slice lies at
// ImagePositionPatient + (c·PixelSpacing[1], r·PixelSpacing[0], 0);
// ImagePositionPatient is the centre of the first pixel. Radiographs are PA
// views displayed as is conventional (the patient's right on the image
// left; PatientOrientation L\F); their patient x and z are measured at the
// patient plane (pixel spacing 0.35/1.1 mm) from the image's central column
// and from z = 175 mm at row 0; y is unknown and written as null. Pixel
// positions count from 0 at the centre of the first row and column.
//
// # ground_truth.json (schema "lingshu.phantom.truth/v1")
//
//	schema, generator, seed, study_index, modality, sop_class_uid,
//	transfer_syntax_uid, multiframe, patient_id, patient_name, patient_sex,
//	patient_birth_date, patient_age, study_instance_uid,
//	series_instance_uid, frame_of_reference_uid (CT/MR), accession_number,
//	study_date, study_time, study_description,
//	geometry: {rows, columns, pixel_spacing_mm [row, col],
//	    imager_pixel_spacing_mm and magnification (CR/DX),
//	    slice_thickness_mm and image_orientation_patient (CT/MR),
//	    view ("axial" | "PA"), frames, window_center, window_width},
//	key_image: {file, sop_instance_uid, instance_number, frame, row, column}
//	    — the image best showing the first finding (middle image if normal),
//	images: [{file, sop_instance_uid, instance_number, frame,
//	    image_position_patient, slice_location, finding_ids}],
//	normal: bool,
//	findings: [{id ("f1"…), type (nodule | mass | pleural_effusion |
//	    pneumothorax | rib_fracture | brain_mass), side (right|left), lobe,
//	    size_mm (diameter; depth for effusion/pneumothorax), density (solid |
//	    ground-glass | calcified), extent (small|moderate|large), rib,
//	    location, center_patient_mm [x, y|null, z], center_pixel (key image
//	    point), images [points on every image showing it], radius_pixels,
//	    bbox_pixels [row0, col0, row1, col1], description}],
//	report: {findings, impression, text ("FINDINGS:\n…\n\nIMPRESSION:\n…")},
//	vqa: [{qid, image_name (file), frame, image_organ (CHEST|HEAD), modality (CT | MRI |
//	    X-Ray), location, question, answer, answer_type (CLOSED|OPEN),
//	    question_type (VQA-RAD: PRES, POS, SIZE, COUNT, ABN, MODALITY, PLANE,
//	    ORGAN, ATTRIB), content_type (SLAKE: Abnormality, Position, Size,
//	    Quantity, Modality, Plane, Organ), q_lang, finding_id}]
//
// Each VQA pair is about one image (file and frame): general and presence
// questions about key_image, answered from what is drawn on it; questions
// about a finding (side, lobe, size, count, description) about that
// finding's center_pixel image. Closed answers are "yes"/"no", a side, a
// lobe or a count; open answers give a size ("14 mm") or a description.
package phantom
