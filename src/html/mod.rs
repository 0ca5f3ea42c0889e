//! `toyemu run --html FILE`: the life of a process's memory as one
//! self-contained HTML page — the address space over time, curves of
//! frames, break, TLB and faults, the heap with its leaks, the page
//! tables as a tree.
//!
//! The charts are SVG written here, in Rust; a short hand-written script
//! (`page.js`) adds hover, zoom and pan. No chart library: the drawing is
//! a few hundred lines over rectangles and lines, the page needs no
//! network, and nothing vendored has to be kept up to date.
//!
//! Bottom to top:
//! - `windows.rs`: time cut into at most 2,048 windows that merge as the
//!   run grows; `bands.rs`: the mappings over time; `marks.rs`: fault
//!   ticks by (window, address bucket); `resident.rs`: resident pages by
//!   bucket. Each keeps a bounded amount, whatever the run's length.
//! - `collect.rs`: the trace sink and probe that fill them as the run goes.
//! - `axis.rs`: the folded 4 GiB; `svg.rs`: escaping, numbers, classes.
//! - `timeline.rs`, `curves.rs`, `heap_map.rs`, `page_tables.rs`: the
//!   drawings; `page.rs`: the page around them (`page.css`, `page.js`).

pub mod axis;
pub mod bands;
pub mod collect;
pub mod curves;
pub mod heap_map;
pub mod marks;
pub mod page;
pub mod page_tables;
pub mod resident;
pub mod svg;
pub mod timeline;
pub mod windows;
