"""Names, NIK and No KK numbers of the synthetic people (all invented)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]

MALE = (
    "Ahmad Muhammad Rizky Fajar Budi Agus Dimas Bayu Andi Arif Hendra Yusuf Ilham Reza "
    "Fikri Galih Rendi Wahyu Hadi Joko Eko Taufik Irfan Aditya Rafi Farhan Kevin Dani "
    "Bagus Hasan Lukman Rudi Slamet Yoga Zaki Alif Daffa Arkan Raka Haris"
).split()
FEMALE = (
    "Siti Nur Dewi Ayu Putri Rina Sri Wulan Fitri Indah Lestari Ratna Yuni Maya Nadia "
    "Aisyah Zahra Salsabila Nabila Anisa Dina Rahma Sari Intan Mega Citra Tika Wati "
    "Novi Desi Aulia Khansa Naura Keisha Alya Hana Bunga Kirana Lina Sinta"
).split()
SECOND = (
    "Pratama Saputra Saputri Lestari Hidayat Ramadhan Wijaya Kurniawan Permata Rahmawati "
    "Nugroho Setiawan Anggraini Maharani Firmansyah Hakim Utami Wibowo Susanti Syahputra "
    "Fadillah Aprilia Safitri Hasibuan Daeng Lembang Aruna Mulyani Rosdiana Irawan"
).split()
STREETS = (
    "Merdeka Pahlawan Sudirman Gatot Subroto Diponegoro Juanda Ahmad Yani Pattimura "
    "Mulawarman Cendana Kenari Pramuka Manggis Rambutan Durian Bhayangkara Poros Sungai"
).split()


def pick(names: tuple[str, ...] | list[str], idx: I64) -> NDArray[np.object_]:
    arr = np.array(names, dtype=object)
    out: NDArray[np.object_] = arr[idx % len(arr)]
    return out


def full_names(
    given: NDArray[np.object_], second: NDArray[np.object_]
) -> NDArray[np.object_]:
    out: NDArray[np.object_] = given + " " + second
    return out


def nik_prefix(kec_digits: I64, dob: I64, female: NDArray[np.bool_]) -> I64:
    """The first 12 NIK digits (kecamatan + DDMMYY, +40 on DD for women), serial 0000."""
    d = np.asarray(dob, dtype="datetime64[D]")
    months = d.astype("datetime64[M]")
    years = d.astype("datetime64[Y]")
    day = (d - months).astype(np.int64) + 1
    month = (months - years).astype(np.int64) + 1
    yy = (years.astype(np.int64) + 1970) % 100
    day = day + 40 * female
    out: I64 = kec_digits * 10**10 + day * 10**8 + month * 10**6 + yy * 10**4
    return out


def nik(kec_digits: I64, dob: I64, female: NDArray[np.bool_], serial: I64) -> I64:
    """16-digit NIK as an integer: kecamatan (6) + DDMMYY (+40 on DD for women) + serial (4)."""
    out: I64 = nik_prefix(kec_digits, dob, female) + (serial % 9999 + 1)
    return out


def kk_prefix(kec_digits: I64, issued: I64) -> I64:
    """No KK without its serial: kecamatan (6) + issue date DDMMYY; starts with the kab code."""
    return nik_prefix(kec_digits, issued, np.zeros(len(issued), dtype=bool))


def unique_serials(prefix: I64, chunk: int) -> I64:
    """Serials (before the +1 of `nik`) that make numbers unique within a chunk.

    People sharing the first 12 digits (kecamatan, birth date, sex) are numbered 0, 1, 2...
    in order of appearance; each chunk starts at its own offset (97 apart), so chunks do not
    collide until more than ~100 chunks (10 million children at the default chunk size).
    """
    order = np.argsort(prefix, kind="stable")
    sorted_prefix = prefix[order]
    start = np.ones(len(prefix), dtype=bool)
    start[1:] = sorted_prefix[1:] != sorted_prefix[:-1]
    group_first = np.maximum.accumulate(np.where(start, np.arange(len(prefix)), 0))
    rank = np.empty(len(prefix), dtype=np.int64)
    rank[order] = np.arange(len(prefix)) - group_first
    out: I64 = (chunk * 97 + rank) % 9999
    return out
