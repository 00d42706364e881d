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


def nik(kec_digits: I64, dob: I64, female: NDArray[np.bool_], serial: I64) -> I64:
    """16-digit NIK as an integer: kecamatan (6) + DDMMYY (+40 on DD for women) + serial (4)."""
    d = np.asarray(dob, dtype="datetime64[D]")
    months = d.astype("datetime64[M]")
    years = d.astype("datetime64[Y]")
    day = (d - months).astype(np.int64) + 1
    month = (months - years).astype(np.int64) + 1
    yy = (years.astype(np.int64) + 1970) % 100
    day = day + 40 * female
    out: I64 = (
        kec_digits * 10**10
        + day * 10**8
        + month * 10**6
        + yy * 10**4
        + (serial % 9999 + 1)
    )
    return out


def kk(kec_digits: I64, issued: I64, serial: I64) -> I64:
    """16-digit No KK: kecamatan (6) + issue date DDMMYY + serial (4); starts with the kab code."""
    return nik(kec_digits, issued, np.zeros(len(issued), dtype=bool), serial)
