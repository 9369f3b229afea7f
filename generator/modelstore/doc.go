// Package modelstore owns the check of a local mirror of the KServe
// ModelMesh model store against what the platform declares for each model:
// that the storage path exists and has the layout the serving runtime loads
// (a TensorFlow SavedModel with saved_model.pb and variables/, a single ONNX
// file, plain or in the Triton version layout), and that an ONNX model's
// input and output names, KServe v2 datatypes and static dimensions match
// the declaration. It reads ONNX files with a small protobuf wire-format
// reader of its own, so no ONNX library or runtime is needed.
package modelstore
