//! The type of a core module, written out for a component that imports the module instead of
//! bundling it.

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{EntityType, ModuleType};
use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

/// Why a module's type could not be written out.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ModuleTypeError {
    /// The module does not parse.
    #[error("it does not parse: {0}")]
    Parse(#[from] wasmparser::BinaryReaderError),
    /// A type of the module has no counterpart in the encoder.
    #[error("one of its types cannot be written out: {0}")]
    Type(#[from] wasm_encoder::reencode::Error),
    /// An export names an item the module does not have.
    #[error("export {name:?} names {kind} {index}, which the module does not have")]
    DanglingExport {
        /// The export's name.
        name: String,
        /// Its kind.
        kind: &'static str,
        /// The index it names.
        index: u32,
    },
}

/// Each item of one kind: imported first, then defined, as the module's index space has them.
#[derive(Default)]
struct Items {
    funcs: Vec<u32>,
    tables: Vec<wasmparser::TableType>,
    memories: Vec<wasmparser::MemoryType>,
    globals: Vec<wasmparser::GlobalType>,
    tags: Vec<wasmparser::TagType>,
}

/// The type of `module`: its types in their order (so that imports and exports keep their
/// indices), then its imports and exports.
pub(crate) fn of(module: &[u8]) -> Result<ModuleType, ModuleTypeError> {
    let mut ty = ModuleType::new();
    let mut items = Items::default();
    let mut reencode = RoundtripReencoder;
    for payload in Parser::new(0).parse_all(module) {
        match payload? {
            Payload::TypeSection(section) => {
                for group in section {
                    let group = group?;
                    let explicit = group.is_explicit_rec_group();
                    let types = group
                        .into_types()
                        .map(|t| reencode.sub_type(t))
                        .collect::<Result<Vec<_>, _>>()?;
                    if explicit {
                        ty.ty().rec(types);
                    } else {
                        for t in types {
                            ty.ty().subtype(&t);
                        }
                    }
                }
            }
            Payload::ImportSection(section) => {
                for import in section.into_imports() {
                    let import = import?;
                    match import.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => items.funcs.push(t),
                        TypeRef::Table(t) => items.tables.push(t),
                        TypeRef::Memory(m) => items.memories.push(m),
                        TypeRef::Global(g) => items.globals.push(g),
                        TypeRef::Tag(t) => items.tags.push(t),
                    }
                    ty.import(import.module, import.name, reencode.entity_type(import.ty)?);
                }
            }
            Payload::FunctionSection(section) => {
                for func in section {
                    items.funcs.push(func?);
                }
            }
            Payload::TableSection(section) => {
                for table in section {
                    items.tables.push(table?.ty);
                }
            }
            Payload::MemorySection(section) => {
                for memory in section {
                    items.memories.push(memory?);
                }
            }
            Payload::GlobalSection(section) => {
                for global in section {
                    items.globals.push(global?.ty);
                }
            }
            Payload::TagSection(section) => {
                for tag in section {
                    items.tags.push(tag?);
                }
            }
            Payload::ExportSection(section) => {
                for export in section {
                    let export = export?;
                    ty.export(export.name, export_type(&items, &export, &mut reencode)?);
                }
            }
            _ => {}
        }
    }
    Ok(ty)
}

fn export_type(
    items: &Items,
    export: &wasmparser::Export<'_>,
    reencode: &mut RoundtripReencoder,
) -> Result<EntityType, ModuleTypeError> {
    let index = export.index;
    let dangling = |kind: &'static str| ModuleTypeError::DanglingExport {
        name: export.name.to_owned(),
        kind,
        index,
    };
    let at = index as usize;
    Ok(match export.kind {
        ExternalKind::Func | ExternalKind::FuncExact => {
            EntityType::Function(*items.funcs.get(at).ok_or_else(|| dangling("function"))?)
        }
        ExternalKind::Table => EntityType::Table(
            reencode.table_type(*items.tables.get(at).ok_or_else(|| dangling("table"))?)?,
        ),
        ExternalKind::Memory => EntityType::Memory(
            reencode.memory_type(*items.memories.get(at).ok_or_else(|| dangling("memory"))?)?,
        ),
        ExternalKind::Global => EntityType::Global(
            reencode.global_type(*items.globals.get(at).ok_or_else(|| dangling("global"))?)?,
        ),
        ExternalKind::Tag => {
            EntityType::Tag(reencode.tag_type(*items.tags.get(at).ok_or_else(|| dangling("tag"))?)?)
        }
    })
}
