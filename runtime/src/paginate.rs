//! Walking every page of a paged operation, as aws-sdk-rust's paginators
//! do: `op().….into_paginator().page_size(n).send()` is a stream of pages,
//! `.items().send()` a stream of their items. The stream is lazy: it sends
//! the request for a page only when polled for it, each with the call's
//! retries and deadline.
//!
//! **When it stops.** After the first of:
//! - an empty page;
//! - a short page (fewer items than the page size asked for);
//! - the documented total reached;
//! - the operation's last page (its documented page-number limit).
//!
//! **A listing is complete and exact, or an error.** A server that answers
//! in a way that would make the listing loop, skip or repeat items ends the
//! stream with [`crate::ApiError::Pagination`],
//! naming the page, instead of stopping silently:
//! - a page with the same items as the page before
//!   ([`PaginationError::RepeatedPage`]), which would never end;
//! - an item seen on an earlier page, by the id the operation's spec names
//!   ([`PaginationError::RepeatedItem`]): the pages overlap, so others
//!   were skipped;
//! - a page with more items than the page size asked for
//!   ([`PaginationError::OversizedPage`]): the server ignores the size, so
//!   the positions that follow would overlap it;
//! - items that are not a list ([`PaginationError::NotAList`]);
//! - a documented total that the items counted contradict, when the
//!   listing ends ([`PaginationError::TotalMismatch`]);
//! - full pages up to the operation's page limit, or [`MAX_PAGES`] where
//!   none is documented, and no total to end them
//!   ([`PaginationError::TooManyPages`]).
//!
//! An error answer ends the stream after it is yielded, with its request
//! id.
//!
//! Page sizes are clamped to what the operation documents (so a page is
//! never "short" because the service capped it), and an offset is always
//! a multiple of the page size, as some operations require.

use std::future::Future;

use futures_util::Stream;
use futures_util::stream::{self, StreamExt};

use crate::error::ApiError;
use crate::response::Response;

/// The most pages a paginator fetches where the operation documents no
/// limit: a guard against a server that never ends a listing.
pub const MAX_PAGES: u64 = 10_000;

/// Why a paginator ended a listing early; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationError {
    /// The service answered page `page` with the same items as the page
    /// before: following it would never end.
    #[error("page {page} repeats the page before it, so the listing would never end")]
    RepeatedPage {
        /// The page number (from 1) of the repeated page.
        page: u64,
    },
    /// Every page up to the last one allowed was full and no total said the
    /// listing was over: what is left cannot be reached by paging.
    #[error(
        "{pages} full pages and no end in sight: the listing is incomplete past the operation's page limit"
    )]
    TooManyPages {
        /// How many pages were fetched.
        pages: u64,
    },
    /// Page `page` holds an item (by its id) that an earlier page held:
    /// the pages overlap, so the listing would repeat some items and miss
    /// others.
    #[error("page {page} repeats item {id} of an earlier page, so the listing would not be exact")]
    RepeatedItem {
        /// The page number (from 1).
        page: u64,
        /// The repeated item's id.
        id: String,
    },
    /// Page `page` holds more items than the page size asked for: the
    /// service ignores the size, so the pages that follow would overlap.
    #[error("page {page} has {items} items, more than the {size} asked for")]
    OversizedPage {
        /// The page number (from 1).
        page: u64,
        /// How many items it had.
        items: u64,
        /// The page size asked for.
        size: u64,
    },
    /// Page `page`'s items are not a list.
    #[error("page {page}'s items are not a list")]
    NotAList {
        /// The page number (from 1).
        page: u64,
    },
    /// The listing ended at page `page` with `counted` items, but the
    /// service said there are `total`.
    #[error(
        "the listing ended at page {page} with {counted} items, but the service counts {total}"
    )]
    TotalMismatch {
        /// The last page's number (from 1).
        page: u64,
        /// The total the service gave.
        total: u64,
        /// The items the pages held.
        counted: u64,
    },
}

/// Whether an operation counts pages or items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// `page_no`-style: the next page is the position plus one.
    Number,
    /// `offset`-style: the next page is the position plus the page size.
    Offset,
}

/// How an operation pages, from its spec's `x-pagination`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// Page numbers or offsets.
    pub kind: PageKind,
    /// The first position: page 1 (or 0), offset 0.
    pub first: u64,
    /// The smallest page size the operation takes.
    pub min_size: u64,
    /// The largest page size the operation takes.
    pub max_size: u64,
    /// The page size used unless one is asked for.
    pub default_size: u64,
    /// The most pages the operation serves, if documented.
    pub max_pages: Option<u64>,
}

impl Paging {
    /// `size`, within what the operation takes.
    pub fn clamp(&self, size: u64) -> u64 {
        size.clamp(
            self.min_size.max(1),
            self.max_size.max(self.min_size).max(1),
        )
    }
}

/// A page position or size as the integer type a model or parameter keeps
/// it in, saturating at the type's bounds (typify picks `NonZeroU32` for a
/// field whose minimum is 1, `u64` or `i32` for others), for
/// [`Pages::at`].
pub trait FromPosition {
    /// `n`, or the nearest value the type holds.
    fn from_position(n: u64) -> Self;
}

macro_rules! from_position {
    ($($int:ty),*) => {$(
        impl FromPosition for $int {
            fn from_position(n: u64) -> Self {
                <$int>::try_from(n).unwrap_or(<$int>::MAX)
            }
        }
    )*};
    (nonzero $($nz:ident($int:ty)),*) => {$(
        impl FromPosition for std::num::$nz {
            fn from_position(n: u64) -> Self {
                std::num::$nz::new(<$int>::from_position(n)).unwrap_or(std::num::$nz::MIN)
            }
        }
    )*};
}
from_position!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);
from_position!(nonzero NonZeroU8(u8), NonZeroU16(u16), NonZeroU32(u32), NonZeroU64(u64),
    NonZeroI8(i8), NonZeroI16(i16), NonZeroI32(i32), NonZeroI64(i64));

/// A paged operation's builder, as generated code implements it for every
/// operation its spec marks `x-pagination`: what [`Paginator`] needs of
/// it. Its [`PAGING`](Pages::PAGING) tells how the operation pages.
pub trait Pages: Sized + Send {
    /// The answer of one page.
    type Page: Send;
    /// One item of a page.
    type Item: Clone + PartialEq + Send;
    /// How the operation pages.
    const PAGING: Paging;
    /// This call, for the page at `position` of `size` items.
    fn at(&self, position: u64, size: u64) -> Self;
    /// Sends it.
    fn fetch(self) -> impl Future<Output = Result<Response<Self::Page>, ApiError>> + Send;
    /// The items of a page.
    fn items(page: &Self::Page) -> &[Self::Item];
    /// The total number of items, if the page says.
    fn total(page: &Self::Page) -> Option<u64>;
    /// An item's id, if the spec names the field that holds it (`id` in
    /// `x-pagination`): an id seen twice ends the listing with an error.
    fn item_id(item: &Self::Item) -> Option<String> {
        let _ = item;
        None
    }
}

/// Every page of a paged call; see the [module docs](self). Made by the
/// operation builder's `into_paginator()`.
#[must_use = "a paginator does nothing until its stream is polled"]
pub struct Paginator<B> {
    call: B,
    size: Option<u64>,
}

impl<B: Pages> Paginator<B> {
    /// Every page of `call`, from the first (the builder's
    /// `into_paginator()` makes one).
    pub fn new(call: B) -> Self {
        Self { call, size: None }
    }

    /// Asks for pages of `size` items (clamped to what the operation takes;
    /// by default its documented default, or its largest page).
    pub fn page_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// The pages, as a stream; each is fetched when the stream is polled.
    pub fn send(self) -> impl Stream<Item = Result<Response<B::Page>, ApiError>> + Send {
        let call = self.call;
        pages(
            B::PAGING,
            self.size,
            move |position, size| call.at(position, size).fetch(),
            |page: &Response<B::Page>| Some(B::items(page.body())),
            |page: &Response<B::Page>| B::total(page.body()),
            B::item_id,
        )
    }

    /// The items of every page instead.
    pub fn items(self) -> ItemPaginator<B> {
        ItemPaginator(self)
    }
}

/// Every item of every page of a paged call. Made by
/// [`Paginator::items`].
#[must_use = "a paginator does nothing until its stream is polled"]
pub struct ItemPaginator<B>(Paginator<B>);

impl<B: Pages> ItemPaginator<B> {
    /// The items, as a stream; pages are fetched as the stream needs them.
    pub fn send(self) -> impl Stream<Item = Result<B::Item, ApiError>> + Send {
        self.0.send().flat_map(|page| {
            let items: Vec<Result<B::Item, ApiError>> = match page {
                Ok(page) => B::items(page.body()).iter().cloned().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            stream::iter(items)
        })
    }
}

/// Where a paged listing stands between two pages.
struct Walk<F, P, I, It, To, Id> {
    fetch: F,
    items: It,
    total: To,
    id: Id,
    /// The ids of the items so far (where the operation names one).
    ids: std::collections::HashSet<String>,
    paging: Paging,
    size: u64,
    position: u64,
    pages: u64,
    seen: u64,
    previous: Option<Vec<I>>,
    /// An error to yield after the page just yielded, ending the stream.
    pending: Option<ApiError>,
    done: bool,
    _page: std::marker::PhantomData<fn() -> P>,
}

/// The pages `fetch` gives, from the first position on, with the stopping
/// rules and guards of the [module docs](self). `items` reads a page's
/// items (`None`: they are not a list), `total` its total, `id` an item's
/// id. Typed paginators ([`Paginator`]) are made of it; so is the `ipd`
/// command's `--all`, for any paged operation of its table.
pub fn pages<P, I, F, Fut>(
    paging: Paging,
    size: Option<u64>,
    fetch: F,
    items: impl Fn(&P) -> Option<&[I]> + Send,
    total: impl Fn(&P) -> Option<u64> + Send,
    id: impl Fn(&I) -> Option<String> + Send,
) -> impl Stream<Item = Result<P, ApiError>> + Send
where
    P: Send,
    I: Clone + PartialEq + Send,
    F: FnMut(u64, u64) -> Fut + Send,
    Fut: Future<Output = Result<P, ApiError>> + Send,
{
    let size = paging.clamp(size.unwrap_or(paging.default_size));
    let walk: Walk<F, P, I, _, _, _> = Walk {
        fetch,
        items,
        total,
        id,
        ids: std::collections::HashSet::new(),
        paging,
        size,
        position: paging.first,
        pages: 0,
        seen: 0,
        previous: None,
        pending: None,
        done: false,
        _page: std::marker::PhantomData,
    };
    stream::unfold(walk, |mut walk| {
        async move {
            if let Some(error) = walk.pending.take() {
                walk.done = true;
                return Some((Err(error), walk));
            }
            if walk.done {
                return None;
            }
            let page = match (walk.fetch)(walk.position, walk.size).await {
                Ok(page) => page,
                Err(e) => {
                    walk.done = true;
                    return Some((Err(e), walk));
                }
            };
            walk.pages += 1;
            let page_no = walk.pages;
            // Ends the listing with this error instead of the page.
            macro_rules! fail {
                ($error:expr) => {{
                    walk.done = true;
                    return Some((Err($error.into()), walk));
                }};
            }
            let Some(these) = (walk.items)(&page) else {
                fail!(PaginationError::NotAList { page: page_no })
            };
            let count = these.len() as u64;
            if count > 0 && walk.previous.as_deref() == Some(these) {
                fail!(PaginationError::RepeatedPage { page: page_no })
            }
            if count > walk.size {
                let size = walk.size;
                fail!(PaginationError::OversizedPage {
                    page: page_no,
                    items: count,
                    size
                })
            }
            let (id_of, ids) = (&walk.id, &mut walk.ids);
            let repeated = these
                .iter()
                .filter_map(id_of)
                .find(|id| !ids.insert(id.clone()));
            if let Some(id) = repeated {
                fail!(PaginationError::RepeatedItem { page: page_no, id })
            }
            walk.seen += count;
            let total = (walk.total)(&page);
            let over = count == 0 || count < walk.size || total.is_some_and(|t| walk.seen >= t);
            if over {
                walk.done = true;
                // The end: the items counted must be the total the service
                // gave (fewer means some were never served; more that the
                // total was wrong, or items were served twice).
                if let Some(total) = total.filter(|t| *t != walk.seen) {
                    let counted = walk.seen;
                    walk.pending = Some(
                        PaginationError::TotalMismatch {
                            page: page_no,
                            total,
                            counted,
                        }
                        .into(),
                    );
                    walk.done = false;
                }
            } else if walk.pages >= walk.paging.max_pages.unwrap_or(MAX_PAGES) {
                // A full page at the last page allowed, and no total to say
                // it was the end: what follows cannot be reached.
                let pages = walk.pages;
                walk.pending = Some(PaginationError::TooManyPages { pages }.into());
            } else {
                walk.previous = Some(these.to_vec());
                walk.position += match walk.paging.kind {
                    PageKind::Number => 1,
                    PageKind::Offset => walk.size,
                };
            }
            Some((Ok(page), walk))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A page: its items and its total.
    type Page = (Vec<u32>, Option<u64>);

    const NUMBERS: Paging = Paging {
        kind: PageKind::Number,
        first: 1,
        min_size: 1,
        max_size: 20,
        default_size: 20,
        max_pages: Some(50),
    };

    /// Runs a listing over `serve(position, size)`, returning every item
    /// (or error) and the positions asked for.
    async fn walk(
        paging: Paging,
        size: Option<u64>,
        serve: impl Fn(u64, u64) -> Result<Page, ApiError> + Send + Sync + 'static,
    ) -> (Vec<Result<Vec<u32>, String>>, Vec<(u64, u64)>) {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let serve = Arc::new(serve);
        let stream = pages(
            paging,
            size,
            move |position, size| {
                log.lock().unwrap().push((position, size));
                let serve = serve.clone();
                async move { serve(position, size) }
            },
            |page: &Page| Some(page.0.as_slice()),
            |page: &Page| page.1,
            |item: &u32| Some(item.to_string()),
        );
        let got = stream
            .map(|p| p.map(|p| p.0).map_err(|e| e.to_string()))
            .collect()
            .await;
        let asked = asked.lock().unwrap().clone();
        (got, asked)
    }

    /// `n` items in all, served by page number.
    fn numbered(n: u32, total: bool) -> impl Fn(u64, u64) -> Result<Page, ApiError> {
        move |page, size| {
            let start = ((page - 1) * size) as u32;
            let items: Vec<u32> = (start..(start + size as u32).min(n)).collect();
            Ok((items, total.then_some(n as u64)))
        }
    }

    #[test]
    fn positions_saturate_at_the_type_bounds() {
        assert_eq!(i32::from_position(7), 7);
        assert_eq!(i32::from_position(u64::MAX), i32::MAX);
        assert_eq!(u8::from_position(300), u8::MAX);
        assert_eq!(std::num::NonZeroU32::from_position(0).get(), 1);
        assert_eq!(std::num::NonZeroU32::from_position(12).get(), 12);
        assert_eq!(std::num::NonZeroI8::from_position(1000).get(), i8::MAX);
    }

    #[tokio::test]
    async fn every_item_once_then_a_short_page_ends_it() {
        let (pages, asked) = walk(NUMBERS, None, numbered(250, false)).await;
        let items: Vec<u32> = pages.into_iter().flat_map(Result::unwrap).collect();
        assert_eq!(items, (0..250).collect::<Vec<_>>());
        assert_eq!(asked.len(), 13, "12 full pages of 20, then the short one");
        assert_eq!(asked[0], (1, 20));
    }

    #[tokio::test]
    async fn the_total_ends_it_without_asking_for_an_empty_page() {
        let (pages, asked) = walk(NUMBERS, None, numbered(40, true)).await;
        assert_eq!(pages.len(), 2);
        assert_eq!(asked.len(), 2);
        // Without a total, a listing that ends on a full page needs one
        // more (empty) page to know.
        let (_, asked) = walk(NUMBERS, None, numbered(40, false)).await;
        assert_eq!(asked.len(), 3);
    }

    #[tokio::test]
    async fn an_empty_first_page_is_one_empty_page() {
        let (pages, asked) = walk(NUMBERS, None, numbered(0, false)).await;
        assert_eq!(pages, [Ok(vec![])]);
        assert_eq!(asked.len(), 1);
    }

    #[tokio::test]
    async fn a_server_repeating_a_full_page_ends_with_an_error() {
        let (pages, asked) = walk(NUMBERS, None, |_, size| {
            Ok(((0..size as u32).collect(), None))
        })
        .await;
        assert_eq!(pages.len(), 2);
        assert!(pages[0].is_ok());
        assert!(
            pages[1].as_ref().unwrap_err().contains("page 2 repeats"),
            "{pages:?}"
        );
        assert_eq!(asked.len(), 2, "a bounded number of requests");
    }

    #[tokio::test]
    async fn a_total_ends_it_and_one_the_items_contradict_is_an_error() {
        // It claims 30 and would go on: 30 it is, as the total says.
        let forever = |page: u64, size: u64| {
            let start = ((page - 1) * size) as u32;
            Ok(((start..start + size as u32).collect(), Some(30)))
        };
        let (pages, _) = walk(NUMBERS, Some(10), forever).await;
        let items: Vec<u32> = pages.into_iter().flat_map(Result::unwrap).collect();
        assert_eq!(items.len(), 30);
        // It claims 1000 but ends at 25: the 25 are yielded, then the
        // contradiction, naming the last page.
        let (pages, _) = walk(NUMBERS, None, |p, s| {
            numbered(25, false)(p, s).map(|(i, _)| (i, Some(1000)))
        })
        .await;
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[..2].iter().flatten().flatten().count(), 25);
        let error = pages[2].as_ref().unwrap_err();
        assert!(
            error.contains("ended at page 2 with 25 items, but the service counts 1000"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn overlapping_pages_end_with_an_error_naming_the_page_and_item() {
        // Page 2 is page 1 in reverse order (total 60): not a repeated
        // page, but the same items.
        let (pages, _) = walk(NUMBERS, None, |page, _| {
            let mut items: Vec<u32> = (0..20).collect();
            if page == 2 {
                items.reverse();
            }
            Ok((items, Some(60)))
        })
        .await;
        assert_eq!(pages.len(), 2);
        let error = pages[1].as_ref().unwrap_err();
        assert!(error.contains("page 2 repeats item 19"), "{error}");
    }

    #[tokio::test]
    async fn a_server_ignoring_the_page_size_ends_with_an_error() {
        // 50 items at each offset, whatever the size (total 120).
        let offsets = Paging {
            kind: PageKind::Offset,
            first: 0,
            min_size: 1,
            max_size: 20,
            default_size: 20,
            max_pages: None,
        };
        let (pages, asked) = walk(offsets, None, |offset, _| {
            let items: Vec<u32> = (offset as u32..(offset as u32 + 50).min(120)).collect();
            Ok((items, Some(120)))
        })
        .await;
        assert_eq!(asked.len(), 1);
        let error = pages[0].as_ref().unwrap_err();
        assert!(
            error.contains("page 1 has 50 items, more than the 20 asked for"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn items_that_are_not_a_list_end_with_an_error() {
        let stream = pages(
            NUMBERS,
            None,
            |_, _| async { Ok::<_, ApiError>(serde_json::json!({ "items": { "a": 1 } })) },
            |page: &serde_json::Value| page["items"].as_array().map(Vec::as_slice),
            |_| None,
            |_| None,
        );
        let got: Vec<_> = stream.collect().await;
        assert_eq!(got.len(), 1);
        let error = got[0].as_ref().unwrap_err().to_string();
        assert!(error.contains("page 1's items are not a list"), "{error}");
    }

    #[tokio::test]
    async fn full_pages_to_the_page_limit_without_a_total_end_with_an_error() {
        let forever = |page: u64, size: u64| {
            let start = ((page - 1) * size) as u32;
            Ok(((start..start + size as u32).collect(), None))
        };
        let (pages, asked) = walk(NUMBERS, None, forever).await;
        assert_eq!(asked.len(), 50, "the operation's page limit");
        assert_eq!(pages.len(), 51);
        assert!(pages[..50].iter().all(Result::is_ok));
        assert!(
            pages[50].as_ref().unwrap_err().contains("50 full pages"),
            "{:?}",
            pages[50]
        );
    }

    #[tokio::test]
    async fn an_error_ends_the_stream_after_the_pages_before_it() {
        let (pages, asked) = walk(NUMBERS, None, |page, size| {
            if page == 3 {
                Err(ApiError::InvalidRequest("page 3 failed".into()))
            } else {
                numbered(1000, false)(page, size)
            }
        })
        .await;
        assert_eq!(pages.len(), 3);
        assert!(pages[2].as_ref().unwrap_err().contains("page 3 failed"));
        assert_eq!(asked.len(), 3);
    }

    #[tokio::test]
    async fn offsets_advance_by_the_page_size_and_sizes_are_clamped() {
        let offsets = Paging {
            kind: PageKind::Offset,
            first: 0,
            min_size: 5,
            max_size: 20,
            default_size: 10,
            max_pages: None,
        };
        let served = |offset: u64, size: u64| {
            let items: Vec<u32> = (offset as u32..(offset + size).min(45) as u32).collect();
            Ok((items, Some(45)))
        };
        let (pages, asked) = walk(offsets, Some(500), served).await;
        assert_eq!(asked, [(0, 20), (20, 20), (40, 20)]);
        assert_eq!(pages.into_iter().flat_map(Result::unwrap).count(), 45);
        let (_, asked) = walk(offsets, Some(1), served).await;
        assert_eq!(asked[0], (0, 5), "at least the smallest size");
        let (_, asked) = walk(offsets, None, served).await;
        assert_eq!(asked[..2], [(0, 10), (10, 10)], "the default size");
    }
}
