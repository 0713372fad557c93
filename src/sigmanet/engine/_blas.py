"""The compiled kernels' matrix products, on NumPy's own BLAS.

numba's ``np.dot`` calls the BLAS that scipy ships (a second OpenBLAS beside NumPy's). On the
mini-batch shapes of a training step (32 × 100 by 100 × 256, say) NumPy's build ran the eight
products of a step about 30% faster than scipy's, so the kernels call NumPy's ``cblas_sgemm`` /
``cblas_dgemm`` themselves, with the transposition flags of the operands' layouts (no operand is
copied), and the NumPy path and the compiled engine then multiply with the same library.

C = op(A) op(B) in row-major order is
``gemm(RowMajor, opA, opB, M, N, K, 1, A, lda, B, ldb, 0, C, N)`` (the reference BLAS
interface; Dongarra et al., *A set of level 3 basic linear algebra subprograms*, ACM TOMS
16(1), 1990). Every operand the kernels multiply is a C-contiguous array, used as it is or
transposed (``X[start:stop].T``, ``W.T``): :func:`matmul` takes the array and a flag "transposed"
rather than the transposed view, its leading dimension is its row length either way, and no
operand is copied. Views would be arrays of another layout (F), for which numba compiles the
function again: with the flags it compiles once per dtype.

The function's address is an argument of the kernels, not a constant compiled into them:
numba's on-disk cache then stays valid in a new process, where the library lands elsewhere.
An address of 0 (a NumPy built on another BLAS, whose interface this module does not know)
makes :func:`matmul` fall back to ``np.dot``.

The recurrent layers' loops also multiply views whose rows are contiguous but lie further apart
than their length (a step's block ``by_gate[:, t]`` of an array stored gate row first, (G, T,
n)): :func:`matmul_rows` passes each array's row stride as its leading dimension, and can add
the product to ``out`` (``beta`` = 1) instead of overwriting it.

A product with one column and ``a`` as it is, ``a v`` (the logits of a binary or one-output
linear model, ``X[start:stop] w``), is a dot product per row, ``out_i = Σ_j a_ij v_j``:
:func:`_row_dots` forms them in one loop that the compiler vectorises along the row. It reads
``a`` once, in order: on X of 200,000 × 100 coming from memory it took 2.7 ms (float32)
and 5.7 ms (float64) where BLAS's ``gemv`` (through ``np.dot``) took 3.9 ms and 14 ms, one
thread, interleaved on a shared 2-core machine. The transposed product ``aᵀ g`` (a gradient)
stays with BLAS, which forms it faster while ``a`` is in cache (as it is in the full-batch
gradient's row blocks).
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_ROW_MAJOR, _NO_TRANSPOSE, _TRANSPOSE = 101, 111, 112

#: The 64-bit-integer (ILP64) CBLAS entry points of the OpenBLAS that NumPy's wheels bundle
#: (``scipy-openblas64``), by dtype.
_SYMBOLS = {"float32": "scipy_cblas_sgemm64_", "float64": "scipy_cblas_dgemm64_"}


@functools.cache
def _numpy_blas() -> ctypes.CDLL | None:
    """NumPy's BLAS library when it has the ILP64 CBLAS interface, else None."""
    try:
        from threadpoolctl import ThreadpoolController

        paths = [
            controller.filepath
            for controller in ThreadpoolController().lib_controllers
            if controller.user_api == "blas"
        ]
    except Exception:  # without the scan, the products go through np.dot
        return None
    for path in paths:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        if all(hasattr(library, symbol) for symbol in _SYMBOLS.values()):
            return library
    return None


def gemm_address(dtype: np.dtype) -> int:
    """The address of NumPy's ``gemm`` for ``dtype`` (float32 or float64), or 0."""
    library = _numpy_blas()
    symbol = _SYMBOLS.get(np.dtype(dtype).name)
    if library is None or symbol is None:
        return 0
    return ctypes.cast(getattr(library, symbol), ctypes.c_void_p).value or 0


@intrinsic
def flag(typingctx, value):
    """``value`` (a boolean) as a value typed ``bool``, not as the literal ``True`` or ``False``.

    numba specialises a function on a literal argument: ``matmul(a, True, ...)`` and
    ``matmul(a, False, ...)`` would each compile :func:`matmul` anew. Its callers pass their
    transposition flags through this, so that it compiles once per dtype.
    """
    sig = types.boolean(types.unliteral(value))

    def codegen(context, builder, signature, args):
        return args[0]

    return sig, codegen


def _gemm_codegen(single, beta, leading_c):
    """The code of a call to the ILP64 CBLAS ``gemm`` whose address is the intrinsic's first
    argument, followed by op_a, op_b, m, n, k, a, lda, b, ldb, then ``beta`` (an argument's
    index, or None for 0) and ``out``, and ``leading_c`` (an argument's index, or None for
    ldc = n, a C-contiguous ``out``)."""

    def codegen(context, builder, signature, args):
        real = ir.FloatType() if single else ir.DoubleType()
        i32, i64 = ir.IntType(32), ir.IntType(64)
        pointer = real.as_pointer()
        function_type = ir.FunctionType(
            ir.VoidType(),
            [i32, i32, i32, i64, i64, i64, real, pointer, i64, pointer, i64, real, pointer, i64],
        )
        kinds = signature.args

        def integer(index, to):
            return context.cast(builder, args[index], kinds[index], to)

        def data(index):
            return context.make_array(kinds[index])(context, builder, args[index]).data

        out = 10 if beta is None else 11
        function = builder.inttoptr(integer(0, types.uintp), function_type.as_pointer())
        builder.call(
            function,
            [
                ir.Constant(i32, _ROW_MAJOR),
                integer(1, types.int32),
                integer(2, types.int32),
                integer(3, types.int64),
                integer(4, types.int64),
                integer(5, types.int64),
                ir.Constant(real, 1.0),
                data(6),
                integer(7, types.int64),
                data(8),
                integer(9, types.int64),
                ir.Constant(real, 0.0)
                if beta is None
                else context.cast(builder, args[beta], kinds[beta], kinds[out].dtype),
                data(out),
                integer(4 if leading_c is None else leading_c, types.int64),
            ],
        )
        return context.get_dummy_value()

    return codegen


@intrinsic
def _gemm(typingctx, address, op_a, op_b, m, n, k, a, lda, b, ldb, out):
    """Call the ILP64 CBLAS ``gemm`` at ``address``: out ← op(a) op(b) (row-major)."""
    sig = types.void(address, op_a, op_b, m, n, k, a, lda, b, ldb, out)
    return sig, _gemm_codegen(out.dtype == types.float32, None, None)


@intrinsic
def _gemm_strided(typingctx, address, op_a, op_b, m, n, k, a, lda, b, ldb, beta, out, ldc):
    """Call the ILP64 CBLAS ``gemm`` at ``address``: out ← op(a) op(b) + beta out
    (row-major), every operand with its own leading dimension."""
    sig = types.void(address, op_a, op_b, m, n, k, a, lda, b, ldb, beta, out, ldc)
    return sig, _gemm_codegen(out.dtype == types.float32, 10, 12)


# reassoc: the sum along a row may be split into vector lanes (as BLAS splits it), which is
# what lets it vectorise; contract: a * b + s may become one fused multiply-add. No flag about
# NaN or infinities: those propagate as in any other product.
@njit(
    cache=True,
    error_model="numpy",
    nogil=True,
    fastmath={"reassoc", "contract"},
    no_cpython_wrapper=True,  # type: ignore[call-overload]
)
def _row_dots(a, v, out):
    """``out[i, 0] ← Σ_j a[i, j] v[j]`` for every row ``i`` of ``a`` (``v`` of ``a``'s
    width): a matrix-vector product as one dot product per row (see the module docstring)."""
    m, k = a.shape
    for i in range(m):
        total = out.dtype.type(0)
        for j in range(k):
            total += a[i, j] * v[j]
        out[i, 0] = total


@njit(cache=True, error_model="numpy", nogil=True)
def matmul(a, transpose_a, b, transpose_b, out, gemm):
    """out ← op(a) op(b), op(x) = xᵀ where its flag is set (``a``, ``b``, ``out``
    C-contiguous), through the ``gemm`` at address ``gemm`` (see the module docstring); a
    single column (``n = 1``, the products of a binary or one-output linear model) through
    :func:`_row_dots` when ``a`` is as it is, through ``np.dot`` when it is transposed; with
    ``gemm`` 0, through ``np.dot``.

    A function of its own: numba writes a product's code into the function that calls it,
    and a generated epoch has eight of them to optimise otherwise.
    """
    m, k = (a.shape[1], a.shape[0]) if transpose_a else (a.shape[0], a.shape[1])
    n = b.shape[0] if transpose_b else b.shape[1]
    if n == 1 and not transpose_a:
        # b is k x 1 or, transposed, 1 x k: either way k values, a view of them when b is
        # C-contiguous (a strided b is copied; the loop indexes a and out in any layout)
        _row_dots(a, b.ravel(), out)
        return
    # the kernels pass C-contiguous arrays only; anything else (a strided view) would make
    # gemm read the wrong elements, so it goes to np.dot instead
    contiguous = a.flags.c_contiguous and b.flags.c_contiguous and out.flags.c_contiguous
    # A transposed single column (aᵀ g) is a matrix-vector product, which numba's np.dot ran in
    # half the time of NumPy's gemm (a logistic regression's full-batch gradient: 200,000 x
    # 100, both dtypes).
    if gemm != 0 and m > 0 and n > 1 and k > 0 and contiguous:
        op_a = _TRANSPOSE if transpose_a else _NO_TRANSPOSE
        op_b = _TRANSPOSE if transpose_b else _NO_TRANSPOSE
        # row-major: the leading dimension is the stored array's row length
        _gemm(gemm, op_a, op_b, m, n, k, a, a.shape[1], b, b.shape[1], out)  # type: ignore[call-arg]
        return
    if transpose_a:  # the kernels never transpose both
        np.dot(a.T, b, out)
    elif transpose_b:
        np.dot(a, b.T, out)
    else:
        np.dot(a, b, out)


@njit(cache=True, error_model="numpy", nogil=True)
def _leading_dimension(x):
    """The row stride of the 2-D array ``x`` in elements, when its rows are contiguous (the
    last stride is one element), else 0. A single row may have any stride: BLAS then needs only
    a leading dimension of at least the row's length."""
    rows, columns = x.shape
    if columns > 1 and x.strides[1] != x.itemsize:
        return 0
    if rows <= 1:
        return max(columns, 1)
    if x.strides[0] % x.itemsize != 0:
        return 0
    stride = x.strides[0] // x.itemsize
    return stride if stride >= max(columns, 1) else 0


@njit(cache=True, error_model="numpy", nogil=True)
def matmul_rows(a, transpose_a, b, transpose_b, out, accumulate, gemm):
    """out ← op(a) op(b), or out ← out + op(a) op(b) with ``accumulate``, for 2-D arrays
    whose rows are contiguous at any row stride (``by_gate[:, t]``, a step's block of an array
    stored gate row first), through the ``gemm`` at address ``gemm``.

    The row stride of each array is its leading dimension in the BLAS call
    (``gemm(RowMajor, opA, opB, M, N, K, 1, A, lda, B, ldb, beta, C, ldc)``, beta 1 to
    accumulate, 0 otherwise), so no operand is copied. With ``gemm`` 0, or an array whose rows
    are not contiguous, or an empty dimension, three loops form the same sums (no allocation,
    slower): the loops of a NumPy without the BLAS this module knows.
    """
    m, k = (a.shape[1], a.shape[0]) if transpose_a else (a.shape[0], a.shape[1])
    n = b.shape[0] if transpose_b else b.shape[1]
    lda, ldb, ldc = _leading_dimension(a), _leading_dimension(b), _leading_dimension(out)
    if gemm != 0 and m > 0 and n > 0 and k > 0 and lda > 0 and ldb > 0 and ldc > 0:
        op_a = _TRANSPOSE if transpose_a else _NO_TRANSPOSE
        op_b = _TRANSPOSE if transpose_b else _NO_TRANSPOSE
        beta = out.dtype.type(1 if accumulate else 0)
        _gemm_strided(gemm, op_a, op_b, m, n, k, a, lda, b, ldb, beta, out, ldc)  # type: ignore[call-arg]
        return
    if not accumulate:
        out[:] = 0
    for i in range(m):
        for p in range(k):
            a_ip = a[p, i] if transpose_a else a[i, p]
            if transpose_b:
                for j in range(n):
                    out[i, j] += a_ip * b[j, p]
            else:
                for j in range(n):
                    out[i, j] += a_ip * b[p, j]
