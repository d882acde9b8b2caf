//! Per-module state for the binding layer and the default rate card. With std this is
//! `thread_local!`; the published wasm has no std (see Cargo.toml), and is single-threaded,
//! so there it is a plain static. Either way, initializers are `const`.

#[cfg(feature = "std")]
macro_rules! local {
    () => {};
    ($(#[$attr:meta])* static $name:ident: $ty:ty = const { $init:expr }; $($rest:tt)*) => {
        std::thread_local! { $(#[$attr])* static $name: $ty = const { $init }; }
        $crate::local::local! { $($rest)* }
    };
}

#[cfg(not(feature = "std"))]
macro_rules! local {
    () => {};
    ($(#[$attr:meta])* static $name:ident: $ty:ty = const { $init:expr }; $($rest:tt)*) => {
        $(#[$attr])* static $name: $crate::local::Local<$ty> = $crate::local::Local::new($init);
        $crate::local::local! { $($rest)* }
    };
}

pub(crate) use local;

#[cfg(not(feature = "std"))]
pub use bare::Local;

#[cfg(not(feature = "std"))]
mod bare {
    use core::cell::Cell;

    #[cfg(target_feature = "atomics")]
    compile_error!("without std, module state assumes a single-threaded wasm module");

    /// A value with a `const` initializer; the `thread_local!` API the crate uses, for one thread.
    pub struct Local<T>(T);

    // SAFETY: without `atomics`, wasm32 has one thread, so nothing is shared.
    unsafe impl<T> Sync for Local<T> {}

    impl<T> Local<T> {
        pub const fn new(value: T) -> Self {
            Self(value)
        }

        pub fn with<R>(&'static self, use_value: impl FnOnce(&T) -> R) -> R {
            use_value(&self.0)
        }
    }

    impl<T: Default> Local<Cell<T>> {
        pub fn take(&'static self) -> T {
            self.0.take()
        }

        pub fn set(&'static self, value: T) {
            self.0.set(value);
        }
    }
}
