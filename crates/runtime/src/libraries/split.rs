//! Taking a component's shared libraries out of it: each becomes an import of a core module,
//! and the rest of the component is rewritten around those imports, section by section.

use wasm_encoder::{
    ComponentImportSection, ComponentSection, ComponentTypeRef, CoreTypeSection, RawSection,
};
use wasmparser::{Chunk, Encoding, Parser, Payload};

use super::{Library, module_type};
use crate::digest::Digest;

/// The version of how libraries are taken out: with [`MIN_LIBRARY_CODE`], part of the key of
/// a rest's compiled code, so that a rest compiled under other rules is not used.
pub(crate) const SCHEME: &str = "weft-libraries-1";

/// The least code a shared library has to have to be taken out: below it, what sharing saves
/// is less than an import costs each instantiation.
pub(crate) const MIN_LIBRARY_CODE: usize = 16 << 10;

/// The name of the custom section that marks a core module as a shared library (position
/// independent code, linked at instantiation), in WebAssembly's dynamic-linking convention.
const DYLINK: &str = "dylink.0";

/// Why a component is compiled whole: nothing to share, or a shape the rewrite leaves alone.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Whole {
    /// No core module of it is a shared library with enough code.
    #[error("it bundles no shared library")]
    NoLibrary,
    /// The bytes are not a component that parses (the compiler says what is wrong).
    #[error("it does not parse: {0}")]
    Parse(#[from] wasmparser::BinaryReaderError),
    /// A section runs past the end of the bytes.
    #[error("it ends inside a section")]
    Truncated,
    /// It is a core module, not a component.
    #[error("it is not a component")]
    NotAComponent,
    /// It defines core types at its top level, whose indices the imports' types would move.
    #[error("it defines core types of its own")]
    CoreTypes,
    /// It imports a name the rewrite would give a library.
    #[error("it imports {0:?} itself")]
    NameTaken(String),
    /// A library's type could not be written out.
    #[error("library {index}: {source}")]
    ModuleType {
        /// Which library, counted from 0.
        index: usize,
        /// Why.
        #[source]
        source: module_type::ModuleTypeError,
    },
}

/// A component's rest, importing its shared libraries, and those libraries.
pub(crate) struct Split<'a> {
    pub(crate) rest: Vec<u8>,
    pub(crate) libraries: Vec<Library<'a>>,
    /// The bytes of code the rest still has.
    pub(crate) rest_code: usize,
}

/// The name a component's `index`th library is imported under.
fn import_name(index: usize) -> String {
    format!("weft-library-{index}")
}

/// What one core module of a component is.
struct ModuleShape {
    code: usize,
    library: bool,
}

fn shape(module: &[u8]) -> Result<ModuleShape, Whole> {
    let mut shape = ModuleShape {
        code: 0,
        library: false,
    };
    let mut parser = Parser::new(0);
    let mut data = module;
    loop {
        let (payload, consumed) = match parser.parse(data, true)? {
            Chunk::Parsed { payload, consumed } => (payload, consumed),
            // `eof` is true: the parser asks for no more.
            Chunk::NeedMoreData(_) => return Ok(shape),
        };
        data = &data[consumed..];
        match payload {
            Payload::CustomSection(custom) if custom.name() == DYLINK => shape.library = true,
            Payload::CodeSectionStart { size, .. } => {
                shape.code = size as usize;
                // Function bodies are not read one by one: only the section's size counts.
                parser.skip_section();
                data = data.get(size as usize..).ok_or(Whole::Truncated)?;
            }
            Payload::End(_) => return Ok(shape),
            _ => {}
        }
    }
}

/// `component` with its shared libraries taken out, or why it stays whole.
pub(crate) fn split(component: &[u8]) -> Result<Split<'_>, Whole> {
    let mut parser = Parser::new(0);
    let mut data = component;
    // Written into a buffer of the whole's size, which the rest does not outgrow (a library
    // takes out more bytes than its module type puts in): growing it would copy megabytes.
    let mut out = Vec::with_capacity(component.len());
    out.extend_from_slice(&wasm_encoder::Component::HEADER);
    let mut libraries = Vec::new();
    let mut rest_code = 0;
    let mut imported = Vec::new();
    loop {
        let (payload, consumed) = match parser.parse(data, true)? {
            Chunk::Parsed { payload, consumed } => (payload, consumed),
            Chunk::NeedMoreData(_) => return Err(Whole::NoLibrary),
        };
        data = &data[consumed..];
        match payload {
            Payload::Version { encoding, .. } => {
                if encoding != Encoding::Component {
                    return Err(Whole::NotAComponent);
                }
            }
            Payload::End(_) => break,
            Payload::CoreTypeSection(_) => return Err(Whole::CoreTypes),
            Payload::ComponentImportSection(ref section) => {
                for import in section.clone() {
                    imported.push(import?.name.name.to_owned());
                }
                copy(&mut out, component, &payload);
            }
            Payload::ModuleSection {
                ref unchecked_range,
                ..
            } => {
                let range = unchecked_range.clone();
                let module = component.get(range.clone()).ok_or(Whole::Truncated)?;
                let shape = shape(module)?;
                if shape.library && shape.code >= MIN_LIBRARY_CODE {
                    let index = libraries.len();
                    let ty = module_type::of(module)
                        .map_err(|source| Whole::ModuleType { index, source })?;
                    let mut types = CoreTypeSection::new();
                    types.ty().module(&ty);
                    types.append_to_component(&mut out);
                    let import = import_name(index);
                    let mut imports = ComponentImportSection::new();
                    // The core types are the libraries' alone: the `index`th is this one's.
                    imports.import(&import, ComponentTypeRef::Module(index as u32));
                    imports.append_to_component(&mut out);
                    libraries.push(Library {
                        import,
                        digest: Digest::of(module),
                        bytes: module,
                        code: shape.code,
                    });
                } else {
                    rest_code += shape.code;
                    copy(&mut out, component, &payload);
                }
                // The nested module is not parsed here: the outer parser goes past it.
                data = data.get(range.len()..).ok_or(Whole::Truncated)?;
            }
            Payload::ComponentSection {
                ref unchecked_range,
                ..
            } => {
                let len = unchecked_range.end - unchecked_range.start;
                data = data.get(len..).ok_or(Whole::Truncated)?;
                copy(&mut out, component, &payload);
            }
            ref other => copy(&mut out, component, other),
        }
    }
    if libraries.is_empty() {
        return Err(Whole::NoLibrary);
    }
    if let Some(taken) = libraries
        .iter()
        .find(|library| imported.contains(&library.import))
    {
        return Err(Whole::NameTaken(taken.import.clone()));
    }
    Ok(Split {
        rest: out,
        libraries,
        rest_code,
    })
}

/// Copy the section `payload` stands for, byte for byte. Its range is within the bytes: the
/// parser has read it, or (a nested module or component) the caller has checked it.
fn copy(out: &mut Vec<u8>, component: &[u8], payload: &Payload<'_>) {
    if let Some((id, range)) = payload.as_section()
        && let Some(data) = component.get(range)
    {
        RawSection { id, data }.append_to_component(out);
    }
}

#[cfg(test)]
mod tests {
    use wasmtime::component::{Component, Linker};
    use wasmtime::{Engine, Module, Store};

    use super::*;

    /// A function of `instructions` pairs of `i32.const 1` and `drop`: three bytes each.
    fn padding(instructions: usize) -> String {
        format!("(func {})", "i32.const 1 drop ".repeat(instructions))
    }

    /// A component whose core module `$lib` doubles a number, and whose export `run` returns
    /// twice its argument plus one through a second module that imports `$lib`'s function.
    /// `lib_extra` goes inside `$lib`; `top` at the component's top level, first.
    fn component(lib_extra: &str, top: &str) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(component
                {top}
                (core module $lib
                    {lib_extra}
                    (func (export "double") (param i32) (result i32)
                        local.get 0 i32.const 2 i32.mul))
                (core module $main
                    (import "lib" "double" (func $double (param i32) (result i32)))
                    (func (export "run") (param i32) (result i32)
                        local.get 0 call $double i32.const 1 i32.add))
                (core instance $l (instantiate $lib))
                (core instance $m (instantiate $main (with "lib" (instance $l))))
                (@custom "kept-as-it-was" "bytes")
                (func (export "run") (param "x" u32) (result u32)
                    (canon lift (core func $m "run"))))"#
        ))
        .expect("the test component parses")
    }

    /// A library: marked `dylink.0`, with more code than the least a library needs.
    fn library() -> String {
        format!(
            r#"(@custom "dylink.0" "") {}"#,
            padding(MIN_LIBRARY_CODE / 3 + 1)
        )
    }

    fn run(engine: &Engine, linker: &Linker<()>, component: &[u8], x: u32) -> u32 {
        let component = Component::new(engine, component).expect("compiles");
        let mut store = Store::new(engine, ());
        let instance = linker
            .instantiate(&mut store, &component)
            .expect("instantiates");
        let run = instance
            .get_typed_func::<(u32,), (u32,)>(&mut store, "run")
            .expect("exports run");
        run.call(&mut store, (x,)).expect("runs").0
    }

    #[test]
    fn a_library_becomes_an_import_and_the_rest_runs_the_same_on_it() {
        let whole = component(&library(), "");
        let engine = Engine::default();
        assert_eq!(run(&engine, &Linker::new(&engine), &whole, 20), 41);

        let split = split(&whole).expect("splits");
        assert_eq!(split.libraries.len(), 1);
        let library = &split.libraries[0];
        assert_eq!(library.import, "weft-library-0");
        assert_eq!(library.digest, Digest::of(library.bytes));
        assert!(library.code >= MIN_LIBRARY_CODE, "{}", library.code);
        // `$main` stays, and is the rest's only code.
        assert!(
            split.rest_code > 0 && split.rest_code < 64,
            "{}",
            split.rest_code
        );
        assert!(split.rest.len() < whole.len() - library.bytes.len() + 1024);

        let mut linker = Linker::new(&engine);
        let module = Module::new(&engine, library.bytes).expect("the library compiles alone");
        linker
            .root()
            .module(&library.import, &module)
            .expect("defines");
        assert_eq!(run(&engine, &linker, &split.rest, 20), 41);
        // Without the library, the rest does not instantiate.
        let rest = Component::new(&engine, &split.rest).expect("compiles");
        let refused = Linker::<()>::new(&engine)
            .instantiate(&mut Store::new(&engine, ()), &rest)
            .expect_err("a missing library is refused");
        assert!(
            format!("{refused:?}").contains("weft-library-0"),
            "{refused:?}"
        );

        // Every other section is kept byte for byte: the custom section is there.
        let kept = wasmparser::Parser::new(0)
            .parse_all(&split.rest)
            .filter_map(Result::ok)
            .any(|payload| {
                matches!(payload, Payload::CustomSection(c)
                    if c.name() == "kept-as-it-was" && c.data() == b"bytes")
            });
        assert!(kept, "the custom section was lost");
    }

    #[test]
    fn the_same_library_in_two_components_has_one_digest() {
        let one = component(&library(), "");
        let other = component(&library(), r#"(@custom "another-dag" "x")"#);
        assert_ne!(one, other);
        let [one, other] = [&one, &other].map(|c| split(c).expect("splits"));
        assert_eq!(one.libraries[0].digest, other.libraries[0].digest);
    }

    #[test]
    fn components_without_a_library_worth_sharing_stay_whole() {
        let unmarked = component(&padding(MIN_LIBRARY_CODE), "");
        assert!(matches!(split(&unmarked), Err(Whole::NoLibrary)));
        let small = component(r#"(@custom "dylink.0" "")"#, "");
        assert!(matches!(split(&small), Err(Whole::NoLibrary)));
    }

    #[test]
    fn shapes_the_rewrite_leaves_alone_stay_whole() {
        let module = wat::parse_str("(module)").expect("parses");
        assert!(matches!(split(&module), Err(Whole::NotAComponent)));

        let core_types = component(&library(), "(core type (module))");
        assert!(matches!(split(&core_types), Err(Whole::CoreTypes)));

        let taken = component(&library(), r#"(import "weft-library-0" (func))"#);
        assert!(
            matches!(split(&taken), Err(Whole::NameTaken(ref name)) if name == "weft-library-0")
        );

        let mut truncated = component(&library(), "");
        truncated.truncate(truncated.len() / 2);
        assert!(matches!(
            split(&truncated),
            Err(Whole::Parse(_) | Whole::Truncated)
        ));
        // Cut anywhere, the bytes are refused or split; nothing panics.
        let whole = component(&library(), "");
        for end in (0..whole.len()).step_by(97) {
            let _ = split(&whole[..end]);
        }
    }
}
