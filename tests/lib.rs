//! End-to-end tests: each Lambda against moto and LocalStack on loopback.
//! Run them with `infra/test.sh`, which starts the emulators.
