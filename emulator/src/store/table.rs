//! A table of the state: rows by id, in id order, that remembers what a
//! transaction changed. The store writes only those rows, and a refused
//! change is undone from them, so a write costs the size of the change.

use std::collections::BTreeMap;

/// Rows by id, and the original of every row changed since the last
/// commit (`None`: the row did not exist).
#[derive(Debug, Clone)]
pub(crate) struct Table<V> {
    rows: BTreeMap<String, V>,
    journal: BTreeMap<String, Option<V>>,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Self {
            rows: BTreeMap::new(),
            journal: BTreeMap::new(),
        }
    }
}

impl<V: Clone + PartialEq> Table<V> {
    pub(crate) fn get(&self, id: &str) -> Option<&V> {
        self.rows.get(id)
    }

    /// The rows, in id order (which is creation order: ids increase).
    pub(crate) fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.rows.values()
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row, to change: its original is kept first.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut V> {
        let row = self.rows.get_mut(id)?;
        if !self.journal.contains_key(id) {
            self.journal.insert(id.to_string(), Some(row.clone()));
        }
        Some(row)
    }

    pub(crate) fn insert(&mut self, id: String, row: V) -> Option<V> {
        self.remember(&id);
        self.rows.insert(id, row)
    }

    pub(crate) fn remove(&mut self, id: &str) -> Option<V> {
        if self.rows.contains_key(id) {
            self.remember(id);
        }
        self.rows.remove(id)
    }

    /// Keeps the rows `keep` accepts.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&str, &V) -> bool) {
        let gone: Vec<String> = self
            .rows
            .iter()
            .filter(|(id, row)| !keep(id, row))
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            self.remove(&id);
        }
    }

    /// Changes the rows `wanted` selects (only those are remembered).
    pub(crate) fn update_where(
        &mut self,
        wanted: impl Fn(&V) -> bool,
        mut change: impl FnMut(&mut V),
    ) {
        let ids: Vec<String> = self
            .rows
            .iter()
            .filter(|(_, row)| wanted(row))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            if let Some(row) = self.get_mut(&id) {
                change(row);
            }
        }
    }

    fn remember(&mut self, id: &str) {
        if !self.journal.contains_key(id) {
            self.journal
                .insert(id.to_string(), self.rows.get(id).cloned());
        }
    }

    /// The rows changed since the last commit, as they are now (`None`:
    /// removed); rows changed back to their original are left out.
    pub(crate) fn changes(&self) -> impl Iterator<Item = (&str, Option<&V>)> {
        self.journal.iter().filter_map(|(id, original)| {
            let now = self.rows.get(id);
            (now != original.as_ref()).then_some((id.as_str(), now))
        })
    }

    /// The changes are saved: forget the originals.
    pub(crate) fn commit(&mut self) {
        self.journal.clear();
    }

    /// The changes are refused: every changed row back as it was.
    pub(crate) fn rollback(&mut self) {
        for (id, original) in std::mem::take(&mut self.journal) {
            match original {
                Some(row) => self.rows.insert(id, row),
                None => self.rows.remove(&id),
            };
        }
    }

    /// A row as another process saved it (`None`: removed there), without
    /// a journal entry: it is already stored.
    pub(crate) fn load(&mut self, id: String, row: Option<V>) {
        match row {
            Some(row) => self.rows.insert(id, row),
            None => self.rows.remove(&id),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn changes_are_the_rows_touched_and_rollback_restores_them() {
        let mut table = Table::default();
        table.load("1".into(), Some(10));
        table.load("2".into(), Some(20));
        table.load("3".into(), Some(30));
        table.commit();
        *table.get_mut("1").unwrap() += 1;
        table.insert("4".into(), 40);
        table.remove("2");
        // Touched but unchanged: not a change.
        let _ = table.get_mut("3");
        let changes: Vec<_> = table
            .changes()
            .map(|(id, v)| (id.to_string(), v.copied()))
            .collect();
        assert_eq!(
            changes,
            [
                ("1".into(), Some(11)),
                ("2".into(), None),
                ("4".into(), Some(40))
            ]
        );
        table.rollback();
        let rows: Vec<_> = table.values().copied().collect();
        assert_eq!(rows, [10, 20, 30]);
        assert_eq!(table.changes().count(), 0);
    }

    #[test]
    fn update_where_and_retain_remember_only_what_they_touch() {
        let mut table = Table::default();
        for i in 0..5 {
            table.load(i.to_string(), Some(i));
        }
        table.update_where(|v| *v % 2 == 0, |v| *v += 100);
        table.retain(|_, v| *v != 3);
        let ids: Vec<_> = table.changes().map(|(id, _)| id.to_string()).collect();
        assert_eq!(ids, ["0", "2", "3", "4"]);
        table.commit();
        assert_eq!(
            table.values().copied().collect::<Vec<_>>(),
            [100, 1, 102, 104]
        );
    }
}
