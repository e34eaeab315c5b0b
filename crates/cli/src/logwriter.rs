//! Log output that does not make a request wait for the terminal: each event is formatted into a
//! buffer and handed to one writer thread, which writes in batches. Nothing is dropped: when the
//! queue is full the request waits, as it would on a direct write.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

enum Item {
    Line(Vec<u8>),
    Flush(SyncSender<()>),
}

/// Hands finished log lines to the writer thread.
#[derive(Clone)]
pub struct LogQueue {
    tx: SyncSender<Item>,
}

static QUEUE: OnceLock<LogQueue> = OnceLock::new();

/// One event's bytes, sent when the event is complete.
pub struct LineWriter {
    buf: Vec<u8>,
    tx: SyncSender<Item>,
}

impl Write for LineWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            if let Err(std::sync::mpsc::SendError(Item::Line(lost))) =
                self.tx.send(Item::Line(line))
            {
                // The writer thread is gone: write directly rather than lose the line.
                let _ = std::io::stderr().write_all(&lost);
            }
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogQueue {
    type Writer = LineWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            buf: Vec::with_capacity(256),
            tx: self.tx.clone(),
        }
    }
}

fn drain(rx: Receiver<Item>) {
    // Not `stderr().lock()`: the lock would be held for the life of the thread and the main
    // thread's own messages (`eprintln!`) would wait for it forever.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
    let handle = |item: Item, out: &mut std::io::BufWriter<std::io::Stderr>| match item {
        Item::Line(line) => {
            let _ = out.write_all(&line);
        }
        Item::Flush(ack) => {
            let _ = out.flush();
            let _ = ack.send(());
        }
    };
    while let Ok(item) = rx.recv() {
        handle(item, &mut out);
        while let Ok(more) = rx.try_recv() {
            handle(more, &mut out);
        }
        let _ = out.flush();
    }
}

/// Starts the writer thread and returns the queue the subscriber writes to.
pub fn start() -> LogQueue {
    QUEUE
        .get_or_init(|| {
            let (tx, rx) = sync_channel(16 * 1024);
            let _ = std::thread::Builder::new()
                .name("log-writer".into())
                .spawn(move || drain(rx));
            LogQueue { tx }
        })
        .clone()
}

/// Waits until every line logged so far is written (before the process exits).
pub fn flush() {
    if let Some(q) = QUEUE.get() {
        let (ack_tx, ack_rx) = sync_channel(1);
        if q.tx.send(Item::Flush(ack_tx)).is_ok() {
            let _ = ack_rx.recv_timeout(std::time::Duration::from_secs(2));
        }
    }
}
