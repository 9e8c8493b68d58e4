//! Tasks that look for what an earlier task left in linear memory.
//!
//! DAG `memory_residue`, two independent tasks:
//! - `write` fills a static buffer, a 3 MiB heap allocation (which grows the memory) and a
//!   stack buffer with a 16-byte mark, then scans its own memory and returns
//!   `{"found": <marks seen>, "pages": <memory size in 64 KiB pages>}`. Its own scan must see
//!   the marks, which shows the scan works.
//! - `scan` grows its memory to `conf.pages` pages (when given and larger), so that it reads
//!   every address the writer could have written, then scans. It returns
//!   `{"found": <marks seen>, "pages": <memory size before growing>}`. A later attempt, however
//!   the host reuses memory between attempts, must find no mark and start with its memory at
//!   the initial size.
//!
//! The mark is kept in the data section XOR-ed with a key and only assembled in memory by
//! `write`, so the component's own bytes never contain it.

#![allow(
    unsafe_code,
    reason = "reading the whole linear memory needs raw pointers"
)]

use serde_json::json;
use weft_test_guests::{
    DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, conf, json_bytes, simple_spec, task,
    unknown_task,
};

const KEY: u8 = 0x5A;
/// The mark, XOR-ed with [`KEY`].
const MARK_XORED: [u8; 16] = [
    0x1b, 0x8e, 0x44, 0xf0, 0x27, 0x6c, 0xd3, 0x91, 0x0a, 0xbe, 0x73, 0x58, 0xe2, 0x3d, 0xc6, 0x19,
];
const PAGE: usize = 64 << 10;
const HEAP_BYTES: usize = 3 << 20;
const STACK_BYTES: usize = 16 << 10;

static mut STATIC_BUFFER: [u8; 256 << 10] = [0; 256 << 10];

struct MemoryResidue;

impl Guest for MemoryResidue {
    fn describe() -> DagSpec {
        simple_spec(
            "memory_residue",
            vec![task("write", &[]), task("scan", &[])],
        )
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "write" => {
                let mut heap = vec![0u8; HEAP_BYTES];
                fill(&mut heap);
                // SAFETY: the guest runs one task at a time on one thread; nothing else holds
                // a reference to the buffer.
                let static_buffer = unsafe { &mut *std::ptr::addr_of_mut!(STATIC_BUFFER) };
                fill(static_buffer);
                let mut stack = [0u8; STACK_BYTES];
                fill(&mut stack);
                std::hint::black_box((&heap, &stack));
                let report = scan(memory_pages());
                // Left in memory on purpose: the next attempt must not see it.
                std::mem::forget(heap);
                Ok(report)
            }
            "scan" => {
                let initial = memory_pages();
                let wanted = conf(&ctx)?
                    .get("pages")
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|p| usize::try_from(p).ok())
                    .unwrap_or(0);
                grow_to(wanted)?;
                Ok(scan(initial))
            }
            _ => Err(unknown_task(&ctx)),
        }
    }
}

/// Write the mark over `buffer`, lined up with 16-byte-aligned addresses.
fn fill(buffer: &mut [u8]) {
    let base = buffer.as_ptr() as usize;
    for (i, byte) in buffer.iter_mut().enumerate() {
        *byte = MARK_XORED[(base + i) % MARK_XORED.len()] ^ KEY;
    }
    std::hint::black_box(buffer);
}

/// Count the marks at 16-byte-aligned addresses in the whole linear memory (from address
/// 16, so as never to read the null address); `pages` is reported as the memory's size.
fn scan(pages: usize) -> Vec<u8> {
    let end = memory_pages() * PAGE;
    let mut found = 0u64;
    let mut address = MARK_XORED.len();
    while address + MARK_XORED.len() <= end {
        let mut matched = true;
        for (k, xored) in MARK_XORED.iter().enumerate() {
            // SAFETY: every address below `memory_size * 64 KiB` is readable linear memory;
            // a volatile read keeps the compiler from assuming anything about its contents.
            let byte = unsafe { std::ptr::read_volatile((address + k) as *const u8) };
            if byte != xored ^ KEY {
                matched = false;
                break;
            }
        }
        if matched {
            found += 1;
        }
        address += MARK_XORED.len();
    }
    json_bytes(&json!({ "found": found, "pages": pages }))
}

/// The size of linear memory 0, in 64 KiB pages.
#[cfg(target_arch = "wasm32")]
fn memory_pages() -> usize {
    core::arch::wasm32::memory_size(0)
}

/// Grow linear memory 0 to at least `pages` pages.
#[cfg(target_arch = "wasm32")]
fn grow_to(pages: usize) -> Result<(), TaskError> {
    let now = memory_pages();
    if pages > now && core::arch::wasm32::memory_grow(0, pages - now) == usize::MAX {
        return Err(TaskError::Permanent(format!(
            "could not grow memory from {now} to {pages} pages"
        )));
    }
    Ok(())
}

/// Built for the host (as the workspace's lints are), the guest has no linear memory to scan.
#[cfg(not(target_arch = "wasm32"))]
fn memory_pages() -> usize {
    0
}

/// Built for the host, there is no linear memory to grow.
#[cfg(not(target_arch = "wasm32"))]
fn grow_to(_pages: usize) -> Result<(), TaskError> {
    Ok(())
}

weft_test_guests::export!(MemoryResidue);

fn main() {}
