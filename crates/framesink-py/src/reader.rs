//! The native reader behind `framesink.Reader` and `framesink.read`: a thin
//! shell over the Rust `Reader`; indexing, shapes and docs live in Python.

use std::path::PathBuf;
use std::sync::Mutex;

use framesink::{Error, PixelLayout, Reader};
use numpy::{PyArray1, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::{to_py, with_open, PyFile};

#[pyclass(module = "framesink._framesink")]
pub(crate) struct NativeReader {
    inner: Mutex<Option<Reader>>,
}

impl NativeReader {
    fn with<T>(&self, f: impl FnOnce(&mut Reader) -> PyResult<T>) -> PyResult<T> {
        with_open(
            &self.inner,
            "reader",
            || Error::InvalidConfig("the reader is closed; open the movie again".into()),
            f,
        )
    }
}

#[pymethods]
impl NativeReader {
    /// Opens `src`: a path, bytes, or a binary file object that can seek.
    #[new]
    fn new(py: Python<'_>, src: &Bound<'_, PyAny>) -> PyResult<Self> {
        let reader = if let Ok(b) = src.cast::<PyBytes>() {
            let bytes = b.as_bytes().to_vec();
            py.detach(|| Reader::from_bytes(bytes))
        } else if let Ok(p) = src.extract::<PathBuf>() {
            py.detach(|| Reader::open(&p))
        } else if src.hasattr("read")? && src.hasattr("seek")? {
            let name = src
                .getattr("name")
                .ok()
                .and_then(|n| n.extract::<String>().ok())
                .unwrap_or_else(|| "the file object".into());
            let file = PyFile(src.clone().unbind());
            py.detach(|| Reader::from_reader(file, &name))
        } else {
            return Err(to_py(Error::InvalidConfig(format!(
                "src is a {}; a movie to read is a path, bytes or a binary file object that can seek",
                src.get_type().name()?
            ))));
        };
        Ok(NativeReader {
            inner: Mutex::new(Some(reader.map_err(to_py)?)),
        })
    }

    /// The movie's description, as the dict `framesink.Props` takes.
    fn props<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.with(|r| {
            let p = r.props();
            let d = PyDict::new(py);
            d.set_item("codec", p.codec.name())?;
            d.set_item("profile", &p.profile)?;
            d.set_item("bit_depth", p.bit_depth)?;
            d.set_item("width", p.width)?;
            d.set_item("height", p.height)?;
            d.set_item("sample_aspect", p.sample_aspect)?;
            d.set_item("coded_width", p.coded_width)?;
            d.set_item("coded_height", p.coded_height)?;
            d.set_item("n_frames", p.frames)?;
            d.set_item("timescale", p.timescale)?;
            d.set_item("fps", p.fps.map(|f| (f.num, f.den)))?;
            d.set_item("pts", PyArray1::from_slice(py, &p.timestamps))?;
            d.set_item("duration_ticks", p.duration)?;
            let c = p.color;
            d.set_item("color", (c.primaries, c.transfer, c.matrix, c.full_range))?;
            d.set_item(
                "metadata",
                p.metadata
                    .entries()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Vec<_>>(),
            )?;
            d.set_item("loops", p.loops)?;
            d.set_item("alpha", p.alpha)?;
            d.set_item("encoder", &p.encoder)?;
            d.set_item("truncated", p.truncated.as_deref())?;
            d.set_item("pix_fmt", r.layout().pix_fmt())?;
            Ok(d)
        })
    }

    /// Gives frames in `pix_fmt` (rgb24, rgba, gray, ...) from now on.
    fn set_pix_fmt(&self, pix_fmt: &str) -> PyResult<()> {
        let layout: PixelLayout = pix_fmt.parse().map_err(to_py)?;
        self.with(|r| r.set_layout(layout).map_err(to_py))
    }

    /// Decodes frames `first` onward into `out` (a whole number of frames:
    /// one, for indexing and iteration), on one thread per core, each
    /// decoding its own run of GOPs.
    fn read_into(&self, py: Python<'_>, first: u64, out: &Bound<'_, PyArray1<u8>>) -> PyResult<()> {
        if !out.is_c_contiguous() {
            return Err(PyValueError::new_err("the output buffer is not contiguous"));
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.with(|r| {
            // SAFETY: a contiguous array this call owns until it returns;
            // the GIL is released while it is written, but no Python code
            // holds it (read() made it and waits for this call).
            let buf = unsafe { out.as_slice_mut()? };
            py.detach(|| r.read_into(first, buf, threads))
                .map_err(to_py)
        })
    }

    /// The index of the frame shown at `seconds` (checked as `frame_at`).
    fn index_at(&self, seconds: f64) -> PyResult<u64> {
        self.with(|r| r.index_at(seconds).map_err(to_py))
    }

    /// Releases the file.
    fn close(&self) {
        if let Ok(mut g) = self.inner.lock() {
            g.take();
        }
    }
}
