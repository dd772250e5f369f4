//! One client's TCP connection as the HTTP server and, after an upgrade,
//! the WebSocket see it: closed once no byte has moved either way for the
//! idle timeout, and holding its address's place in the per-address count
//! until it is dropped (an upgraded WebSocket keeps it, as it keeps the
//! socket).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use crate::slots::Slot;

/// A connection's place in its address's count.
type AddressSlot = Slot<std::net::IpAddr>;

/// A client's connection with its idle timer.
pub struct ClientIo {
    stream: TcpStream,
    idle: Option<Idle>,
    _slot: AddressSlot,
}

/// The idle timer. Activity only records the time; a timer is armed when a
/// read or write has to wait, and fires only if nothing moved meanwhile, so
/// the busy path costs a clock read, not a timer reset per frame. Reads and
/// writes have a timer each: the two halves of a split WebSocket wait in
/// different tasks, and one timer would wake only the last of them.
struct Idle {
    timeout: Duration,
    last_activity: Instant,
    read_timer: Option<Pin<Box<Sleep>>>,
    write_timer: Option<Pin<Box<Sleep>>>,
}

impl Idle {
    fn moved(&mut self) {
        self.last_activity = Instant::now();
    }

    /// Called when an operation must wait: `Ready` once the connection has
    /// been idle for the whole timeout.
    fn poll_expired(
        timer: &mut Option<Pin<Box<Sleep>>>,
        deadline: Instant,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let sleep = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        sleep.as_mut().poll(cx)
    }

    fn check(&mut self, writing: bool, cx: &mut Context<'_>) -> io::Result<()> {
        let deadline = self.last_activity + self.timeout;
        let timer = match writing {
            true => &mut self.write_timer,
            false => &mut self.read_timer,
        };
        match Self::poll_expired(timer, deadline, cx) {
            Poll::Ready(()) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle for too long",
            )),
            Poll::Pending => Ok(()),
        }
    }
}

impl ClientIo {
    /// Wraps an accepted stream; `idle_timeout` `None` never times out.
    pub fn new(stream: TcpStream, idle_timeout: Option<Duration>, slot: AddressSlot) -> Self {
        Self {
            stream,
            idle: idle_timeout.map(|timeout| Idle {
                timeout,
                last_activity: Instant::now(),
                read_timer: None,
                write_timer: None,
            }),
            _slot: slot,
        }
    }

    /// Records what an operation did: progress resets the idle clock, a
    /// wait checks it.
    fn track<T>(
        &mut self,
        writing: bool,
        progressed: bool,
        poll: Poll<io::Result<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<T>> {
        let Some(idle) = &mut self.idle else {
            return poll;
        };
        match &poll {
            Poll::Ready(_) if progressed => idle.moved(),
            Poll::Ready(_) => {}
            Poll::Pending => {
                if let Err(error) = idle.check(writing, cx) {
                    return Poll::Ready(Err(error));
                }
            }
        }
        poll
    }
}

impl AsyncRead for ClientIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        let progressed = buf.filled().len() > before;
        this.track(false, progressed, poll, cx)
    }
}

impl AsyncWrite for ClientIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write(cx, buf);
        let progressed = matches!(poll, Poll::Ready(Ok(n)) if n > 0);
        this.track(true, progressed, poll, cx)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_flush(cx);
        this.track(true, false, poll, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        let progressed = matches!(poll, Poll::Ready(Ok(n)) if n > 0);
        this.track(true, progressed, poll, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
