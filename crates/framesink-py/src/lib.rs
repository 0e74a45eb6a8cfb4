//! The native half of the `framesink` Python package: a thin shell over the
//! Rust `VideoWriter`. Argument handling, dtypes and docs live in Python.

mod reader;

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use framesink::color::Colormap;
use framesink::mux::Output;
use framesink::{
    Codec, Container, Error, Frame, IoContext, PixelLayout, Rational, Timestamp, VideoWriter,
    Warning, WriterConfig,
};
use numpy::{
    PyArray3, PyArrayMethods, PyReadonlyArray2, PyReadonlyArrayDyn, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

/// Maps every framesink error to its Python class (framesink._errors).
fn to_py(err: Error) -> PyErr {
    let class = match &err {
        Error::InvalidFrame { .. } => "InvalidFrameError",
        Error::InvalidConfig(_) => "InvalidConfigError",
        Error::Unsupported(_) => "UnsupportedError",
        Error::Encoder(_) => "EncoderError",
        Error::InvalidPart { .. } => "InvalidPartError",
        Error::InvalidMovie { .. } => "InvalidMovieError",
        Error::Mux(_) | Error::Failed(_) => "FramesinkError",
        Error::Io(_) => "FramesinkIOError",
        _ => "FramesinkError",
    };
    let msg = err.to_string();
    Python::attach(|py| {
        let errors = py.import("framesink._errors")?;
        let instance = if let Error::Io(io) = &err {
            // The OSError subclass of the errno (FileNotFoundError, ...), with
            // errno, strerror and filename; a file object's own exception is
            // the cause.
            let (inner, path) = framesink::error::innermost_io(io);
            let cause = inner
                .get_ref()
                .and_then(|e| e.downcast_ref::<PyErr>())
                .map(|e| e.clone_ref(py).into_value(py));
            errors.getattr("io_error")?.call1((
                msg,
                inner.raw_os_error(),
                path.map(|p| p.to_string_lossy().into_owned()),
                cause,
            ))?
        } else {
            errors.getattr(class)?.call1((msg,))?
        };
        Ok::<_, PyErr>(PyErr::from_value(instance))
    })
    .unwrap_or_else(|e| e)
}

/// A Python binary file object as a Rust sink; each call takes the GIL.
struct PyFile(Py<PyAny>);

/// Runs `f` on the object a Python handle holds in `slot`: a `ValueError`
/// if a thread panicked holding its lock (`"{what} lock poisoned"`), the
/// error `closed` makes if it has been closed.
fn with_open<T, R>(
    slot: &Mutex<Option<T>>,
    what: &str,
    closed: impl FnOnce() -> Error,
    f: impl FnOnce(&mut T) -> PyResult<R>,
) -> PyResult<R> {
    let mut guard = slot
        .lock()
        .map_err(|_| PyValueError::new_err(format!("{what} lock poisoned")))?;
    let open = guard.as_mut().ok_or_else(|| to_py(closed()))?;
    f(open)
}

/// A file object's exception as an `io::Error` that keeps it (to_py raises it
/// as the cause), of the kind its errno says.
fn io_err(e: PyErr) -> io::Error {
    let kind = Python::attach(|py| {
        let value = e.value(py);
        value
            .is_instance_of::<pyo3::exceptions::PyOSError>()
            .then(|| value.getattr("errno").ok()?.extract::<i32>().ok())
            .flatten()
            .map_or(io::ErrorKind::Other, |n| {
                io::Error::from_raw_os_error(n).kind()
            })
    });
    io::Error::new(kind, e)
}

impl Write for PyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            // Raw files may write less; a non-blocking one returns None for
            // "nothing written, would block": wait and offer the bytes again.
            let written = Python::attach(|py| {
                let n = self
                    .0
                    .bind(py)
                    .call_method1("write", (PyBytes::new(py, buf),))
                    .map_err(io_err)?;
                n.extract::<Option<usize>>().map_err(io_err)
            })?;
            match written {
                Some(n) if n > buf.len() => {
                    return Err(io::Error::other(format!(
                        "the file object's write() returned {n} for {} bytes",
                        buf.len()
                    )))
                }
                Some(n) => return Ok(n),
                None => std::thread::sleep(std::time::Duration::from_millis(1)),
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Python::attach(|py| {
            self.0.bind(py).call_method0("flush").map_err(io_err)?;
            Ok(())
        })
    }
}

impl Read for PyFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Python::attach(|py| {
            let data = self
                .0
                .bind(py)
                .call_method1("read", (buf.len(),))
                .map_err(io_err)?;
            let bytes = data
                .cast::<PyBytes>()
                .map_err(|e| io_err(e.into()))?
                .as_bytes();
            buf[..bytes.len()].copy_from_slice(bytes);
            Ok(bytes.len())
        })
    }
}

impl Seek for PyFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let (offset, whence) = match pos {
            SeekFrom::Start(o) => (o as i64, 0),
            SeekFrom::Current(o) => (o, 1),
            SeekFrom::End(o) => (o, 2),
        };
        Python::attach(|py| {
            self.0
                .bind(py)
                .call_method1("seek", (offset, whence))
                .and_then(|r| r.extract::<u64>())
                .map_err(io_err)
        })
    }
}

/// The native writer behind `framesink.Writer`.
#[pyclass(module = "framesink._framesink")]
struct NativeWriter {
    inner: Mutex<Option<VideoWriter>>,
}

fn layout_from(name: &str) -> PyResult<PixelLayout> {
    Ok(match name {
        "gray8" => PixelLayout::Gray8,
        "grayalpha8" => PixelLayout::GrayAlpha8,
        "rgb8" => PixelLayout::Rgb8,
        "rgba8" => PixelLayout::Rgba8,
        "bgr8" => PixelLayout::Bgr8,
        "bgra8" => PixelLayout::Bgra8,
        "gray16" => PixelLayout::Gray16,
        "rgb16" => PixelLayout::Rgb16,
        "rgba16" => PixelLayout::Rgba16,
        other => return Err(PyValueError::new_err(format!("unknown layout {other:?}"))),
    })
}

#[pymethods]
impl NativeWriter {
    #[new]
    #[pyo3(signature = (target, *, fps_num, fps_den, codec, container, quality, bitrate, keyframe_interval, threads, dither=false, loops=None, ffmpeg_args=Vec::new(), speed=None, metadata=None, bit_depth=None, lossless=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        target: &Bound<'_, PyAny>,
        fps_num: u64,
        fps_den: u64,
        codec: Option<&str>,
        container: Option<&str>,
        quality: Option<u8>,
        bitrate: Option<u32>,
        keyframe_interval: Option<u32>,
        threads: Option<usize>,
        dither: bool,
        loops: Option<u16>,
        ffmpeg_args: Vec<String>,
        speed: Option<u8>,
        metadata: Option<Vec<(String, String)>>,
        bit_depth: Option<u8>,
        lossless: bool,
    ) -> PyResult<Self> {
        let mut config = WriterConfig::default().with_fps(Rational {
            num: fps_num,
            den: fps_den,
        });
        if let Some(c) = codec {
            config = match c.strip_prefix("ffmpeg:") {
                Some(encoder) => {
                    let args: Vec<&str> = ffmpeg_args.iter().map(String::as_str).collect();
                    config.with_ffmpeg(encoder, &args)
                }
                None => config.with_codec(c.parse::<Codec>().map_err(to_py)?),
            };
        }
        if let Some(c) = container {
            config = config.with_container(c.parse::<Container>().map_err(to_py)?);
        }
        if let Some(q) = quality {
            config = config.with_quality(q);
        }
        if let Some(b) = bitrate {
            config = config.with_bitrate_kbps(b);
        }
        if let Some(k) = keyframe_interval {
            config = config.with_keyframe_interval(k);
        }
        if let Some(t) = threads {
            config = config.with_threads(t);
        }
        if let Some(sp) = speed {
            config = config.with_speed(sp);
        }
        config = config.with_dither(dither).with_lossless(lossless);
        config.bit_depth = bit_depth;
        config.metadata = metadata.unwrap_or_default();
        if let Some(n) = loops {
            config = config.with_loops(n);
        }
        let writer = if let Ok(path) = target.extract::<PathBuf>() {
            py.detach(|| VideoWriter::create(path, config))
        } else {
            let seekable = target.call_method0("seekable")?.is_truthy()?
                && target.call_method0("readable")?.is_truthy()?;
            let file = PyFile(target.clone().unbind());
            if seekable {
                VideoWriter::new(file, config)
            } else {
                VideoWriter::new_stream(file, config)
            }
        }
        .map_err(to_py)?;
        Ok(NativeWriter {
            inner: Mutex::new(Some(writer)),
        })
    }

    /// Adds a frame: a 2-D or 3-D uint8/uint16 array whose rows are
    /// contiguous (checked here). Returns new warnings as (kind, message):
    /// kind `"bits_lost"` for 16-bit frames rounded to 8 bits, else `""`.
    #[pyo3(signature = (array, layout, timestamp=None))]
    fn write(
        &self,
        py: Python<'_>,
        array: &Bound<'_, PyUntypedArray>,
        layout: &str,
        timestamp: Option<(u64, u64)>,
    ) -> PyResult<Vec<(&'static str, String)>> {
        let layout = layout_from(layout)?;
        let shape = array.shape();
        let strides = array.strides();
        let item = layout.bytes_per_sample() as isize;
        let channels = layout.channels();
        let (h, w) = match shape {
            [h, w] if channels == 1 => (*h, *w),
            [h, w, c] if *c == channels => (*h, *w),
            _ => {
                return Err(PyValueError::new_err(format!(
                    "array shape {shape:?} does not fit layout {layout}"
                )))
            }
        };
        let row_ok = match strides {
            [_, s1] => *s1 == item,
            [_, s1, s2] => *s2 == item && *s1 == item * channels as isize,
            _ => false,
        };
        if h == 0 || w == 0 || strides[0] <= 0 || !row_ok {
            return Err(PyValueError::new_err(format!(
                "array with shape {shape:?} and strides {strides:?} does not have contiguous rows"
            )));
        }
        let stride = strides[0] as usize;
        let span = stride * (h - 1) + w * layout.bytes_per_pixel();
        // Borrow checking by numpy's crate: no one may write the array while
        // it is read with the GIL released.
        let (ptr, _guard8, _guard16) = if item == 1 {
            let a: PyReadonlyArrayDyn<'_, u8> = array.extract()?;
            (a.as_array().as_ptr(), Some(a), None)
        } else {
            let a: PyReadonlyArrayDyn<'_, u16> = array.extract()?;
            (a.as_array().as_ptr().cast::<u8>(), None, Some(a))
        };
        // SAFETY: the array is alive and borrowed read-only for this call, and
        // its rows were checked above to lie within `span` bytes of its start
        // (positive row stride, contiguous rows).
        let data: &[u8] = unsafe { std::slice::from_raw_parts(ptr, span) };
        let mut frame = Frame::new(data, w as u32, h as u32, layout).with_stride(stride);
        if let Some((num, den)) = timestamp {
            frame = frame.with_timestamp(Timestamp::new(num, den));
        }
        // The lock is taken with the GIL released: a thread holding it
        // never waits for the GIL, so writes (and `frames`) from several
        // threads take turns instead of deadlocking.
        let pushed = py.detach(|| {
            let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            let writer = guard
                .as_mut()
                .ok_or_else(|| Error::Failed("the writer is closed".into()))?;
            writer.push_frame(frame)?;
            Ok::<_, Error>(writer.take_warnings())
        });
        Ok(pushed
            .map_err(to_py)?
            .iter()
            .map(|w| {
                let kind = match w {
                    Warning::BitsLost { .. } => "bits_lost",
                    _ => "",
                };
                (kind, w.to_string())
            })
            .collect())
    }

    /// Frames accepted so far.
    fn frames(&self, py: Python<'_>) -> u64 {
        py.detach(|| {
            let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            guard.as_ref().map_or(0, VideoWriter::frames)
        })
    }

    /// Finishes the file; returns the summary as a dict.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = py
            .detach(|| {
                let writer = self
                    .inner
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                    .ok_or_else(|| Error::Failed("the writer is already closed".into()))?;
                writer.finish()
            })
            .map_err(to_py)?;
        summary_dict(py, &s)
    }

    /// True until `close` (or a drop).
    fn is_open(&self, py: Python<'_>) -> bool {
        py.detach(|| self.inner.lock().map(|g| g.is_some()).unwrap_or(false))
    }

    /// Finishes as well as it can without reporting (for garbage collection).
    fn abandon(&self, py: Python<'_>) {
        py.detach(|| {
            if let Some(w) = self.inner.lock().ok().and_then(|mut g| g.take()) {
                drop(w);
            }
        });
    }
}

/// A part to join: bytes, a path, or a seekable binary file object.
enum PartSource {
    Bytes(Vec<u8>),
    Path(PathBuf),
    File(PyFile),
}

/// The native joiner behind `framesink.join` and `framesink.render`.
#[pyclass(module = "framesink._framesink")]
struct NativeJoiner {
    inner: Mutex<Option<framesink::Joiner>>,
}

#[pymethods]
impl NativeJoiner {
    #[new]
    #[pyo3(signature = (target, *, metadata=None))]
    fn new(target: &Bound<'_, PyAny>, metadata: Option<Vec<(String, String)>>) -> PyResult<Self> {
        // Checked before the target is made: a bad tag leaves no file.
        let metadata = framesink::Metadata::new(metadata.unwrap_or_default()).map_err(to_py)?;
        let output = if let Ok(path) = target.extract::<PathBuf>() {
            let file = std::fs::File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .map_err(|e| {
                    to_py(Error::Io(IoContext::wrap(
                        e,
                        format_args!("cannot create {}", path.display()),
                        Some(&path),
                    )))
                })?;
            Output::Seekable(Box::new(file))
        } else {
            let seekable = target.call_method0("seekable")?.is_truthy()?
                && target.call_method0("readable")?.is_truthy()?;
            let file = PyFile(target.clone().unbind());
            if seekable {
                Output::Seekable(Box::new(file))
            } else {
                Output::Stream(Box::new(file))
            }
        };
        Ok(NativeJoiner {
            inner: Mutex::new(Some(framesink::Joiner::new(output).with_metadata(metadata))),
        })
    }

    /// Appends a part (bytes, a path, or a binary file object that can
    /// seek), named `name` in errors. Checked whole before it is copied.
    fn append(&self, py: Python<'_>, part: &Bound<'_, PyAny>, name: &str) -> PyResult<()> {
        let source = if let Ok(b) = part.cast::<PyBytes>() {
            PartSource::Bytes(b.as_bytes().to_vec())
        } else if let Ok(p) = part.extract::<PathBuf>() {
            PartSource::Path(p)
        } else if part.hasattr("read")? && part.hasattr("seek")? {
            PartSource::File(PyFile(part.clone().unbind()))
        } else if let Ok(b) = part.extract::<Vec<u8>>() {
            PartSource::Bytes(b)
        } else {
            return Err(to_py(Error::InvalidConfig(format!(
                "part {name} is a {}; a part is a path, bytes or a binary file object that can seek",
                part.get_type().name()?
            ))));
        };
        let closed = || Error::Failed("the joiner is closed".into());
        with_open(&self.inner, "joiner", closed, |joiner| {
            let result = match source {
                PartSource::Bytes(b) => py.detach(|| joiner.append_part(io::Cursor::new(b), name)),
                PartSource::Path(p) => py.detach(|| {
                    if p.is_dir() {
                        return Err(Error::InvalidPart {
                            index: joiner.parts(),
                            name: name.to_string(),
                            message: "it is a directory, not a movie file".into(),
                        });
                    }
                    let f = std::fs::File::open(&p).map_err(|e| {
                        Error::Io(IoContext::wrap(
                            e,
                            format_args!("cannot open part {}", p.display()),
                            Some(&p),
                        ))
                    })?;
                    joiner.append_part(io::BufReader::new(f), name)
                }),
                // Each read takes the GIL itself.
                PartSource::File(f) => py.detach(|| joiner.append_part(f, name)),
            };
            result.map_err(to_py)
        })
    }

    /// Parts joined so far.
    fn parts(&self) -> usize {
        self.inner
            .lock()
            .ok()
            .and_then(|g| g.as_ref().map(framesink::Joiner::parts))
            .unwrap_or(0)
    }

    /// Frames joined so far.
    fn frames(&self) -> u64 {
        self.inner
            .lock()
            .ok()
            .and_then(|g| g.as_ref().map(framesink::Joiner::frames))
            .unwrap_or(0)
    }

    /// Finishes the movie; returns the summary as a dict.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let joiner = self
            .inner
            .lock()
            .map_err(|_| PyValueError::new_err("joiner lock poisoned"))?
            .take()
            .ok_or_else(|| to_py(Error::Failed("the joiner is already closed".into())))?;
        let s = py.detach(|| joiner.finish()).map_err(to_py)?;
        summary_dict(py, &s)
    }

    /// Drops the joiner without finishing (the file stays fragmented).
    fn abandon(&self) {
        if let Ok(mut g) = self.inner.lock() {
            g.take();
        }
    }
}

/// The summary of a finished movie, as the dict `framesink.Summary` takes.
fn summary_dict<'py>(py: Python<'py>, s: &framesink::Summary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("frames", s.frames)?;
    d.set_item("duration", s.duration_secs())?;
    d.set_item("bytes", s.bytes)?;
    d.set_item("codec", s.codec.name())?;
    d.set_item("profile", s.profile)?;
    d.set_item("width", s.width)?;
    d.set_item("height", s.height)?;
    d.set_item("coded_width", s.coded_width)?;
    d.set_item("coded_height", s.coded_height)?;
    d.set_item("frames_dropped", s.frames_dropped)?;
    d.set_item("bit_depth", s.bit_depth)?;
    d.set_item(
        "warnings",
        s.warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    )?;
    Ok(d)
}

/// The keyframe interval (frames) a movie at `fps_num/fps_den` gets by default.
#[pyfunction]
fn default_keyframe_interval(fps_num: u64, fps_den: u64) -> u32 {
    WriterConfig::default()
        .with_fps(Rational::new(fps_num, fps_den))
        .effective_keyframe_interval()
}

/// Runs the framesink command line (`python -m framesink`); returns the exit status.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> i32 {
    py.detach(|| framesink_cli::run(argv))
}

/// Parses a frame rate string (`30`, `29.97`, `30000/1001`) into (num, den).
#[pyfunction]
fn parse_rate(text: &str) -> PyResult<(u64, u64)> {
    let r: Rational = text.parse().map_err(to_py)?;
    Ok((r.num, r.den))
}

/// Names of the built-in colormaps.
#[pyfunction]
fn colormap_names() -> Vec<&'static str> {
    Colormap::builtin_names().collect()
}

/// Maps a 2-D float32/float64 array with C-contiguous rows to an (H, W, 3)
/// uint8 RGB array through `cmap` (a built-in name or 768 bytes of RGB).
/// Returns the image and the number of NaN/infinite values.
#[pyfunction]
fn apply_colormap<'py>(
    py: Python<'py>,
    values: &Bound<'py, PyUntypedArray>,
    cmap: &Bound<'py, PyAny>,
    vmin: f64,
    vmax: f64,
) -> PyResult<(Bound<'py, PyArray3<u8>>, usize)> {
    let map = if let Ok(name) = cmap.extract::<String>() {
        Colormap::builtin(&name).ok_or_else(|| {
            let names: Vec<_> = Colormap::builtin_names().collect();
            PyValueError::new_err(format!(
                "colormap {name:?} is not built in; built-in: {}",
                names.join(", ")
            ))
        })?
    } else {
        let bytes = cmap
            .cast::<PyBytes>()
            .map_err(|e| PyValueError::new_err(e.to_string()))?
            .as_bytes();
        let lut: [[u8; 3]; 256] = bytes
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect::<Vec<_>>()
            .try_into()
            .map_err(|_| {
                PyValueError::new_err(format!(
                    "a colormap table has 768 bytes, not {}",
                    bytes.len()
                ))
            })?;
        Colormap::from_lut(lut)
    };
    let (h, w) = match values.shape() {
        [h, w] => (*h, *w),
        s => {
            return Err(PyValueError::new_err(format!(
                "colormap input must be 2-D, not shape {s:?}"
            )))
        }
    };
    let out = PyArray3::<u8>::zeros(py, [h, w, 3], false);
    let bad = {
        let mut rw = out.readwrite();
        let dst = rw
            .as_slice_mut()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        macro_rules! run {
            ($t:ty) => {{
                let a: PyReadonlyArray2<'_, $t> = values.extract()?;
                let src = a
                    .as_slice()
                    .map_err(|_| PyValueError::new_err("colormap input must be C-contiguous"))?;
                py.detach(|| map.apply(src, w, w, vmin, vmax, dst))
            }};
        }
        if values.extract::<PyReadonlyArray2<'_, f32>>().is_ok() {
            run!(f32)
        } else {
            run!(f64)
        }
    };
    Ok((out, bad))
}

#[pymodule]
fn _framesink(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeWriter>()?;
    m.add_class::<NativeJoiner>()?;
    m.add_class::<reader::NativeReader>()?;
    m.add_function(wrap_pyfunction!(default_keyframe_interval, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(parse_rate, m)?)?;
    m.add_function(wrap_pyfunction!(colormap_names, m)?)?;
    m.add_function(wrap_pyfunction!(apply_colormap, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
