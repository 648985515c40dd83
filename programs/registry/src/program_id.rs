//! The program's address (`ID`, `id()`), re-exported at the crate root where Anchor's
//! generated code looks for it; a module of its own so that the rest of the program can
//! name it without depending on the root that dispatches to the instructions.

use anchor_lang::prelude::*;

declare_id!("2xSEWANw6rMRcdou1SSjDqLbDUPrrXsvw5vpAf1DAXHv");
